//! Small charts drawn on the server (plotters' SVG backend) and put into the page as SVG: plotters
//! writes presentation attributes only, so the content security policy needs no inline styles.
//! Each chart carries a text that says what it shows, for people who cannot see it.

use plotters::prelude::*;

/// A bar chart of `values` (oldest first), `width`×`height` pixels, as SVG markup named `label`
/// for assistive technology (escaped here).
pub fn bars(values: &[i64], width: u32, height: u32, label: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let top = values.iter().copied().max().unwrap_or(0).max(1);
        let n = values.len().max(1);
        let drawn = ChartBuilder::on(&root)
            .margin(2)
            .build_cartesian_2d(0..n, 0..top)
            .and_then(|mut chart| {
                chart.draw_series(values.iter().enumerate().map(|(i, v)| {
                    let colour = RGBColor(0x1a, 0x63, 0xd6);
                    Rectangle::new([(i, 0), (i + 1, *v)], colour.filled())
                }))?;
                // A thin base line, so an empty period still shows as a chart.
                chart
                    .draw_series(std::iter::once(PathElement::new(vec![(0, 0), (n, 0)], RGBColor(0x5d, 0x66, 0x76))))?;
                Ok(())
            })
            .and_then(|()| root.present());
        if drawn.is_err() {
            return String::new();
        }
    }
    let label = askama::filters::escape(label, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
    svg.replacen("<svg ", &format!("<svg class=\"chart\" role=\"img\" aria-label=\"{label}\" "), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_svg_image() {
        let svg = bars(&[0, 3, 1, 7], 300, 80, "Sales <30 days>");
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-label=\"Sales &#60;30 days&#62;\""), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(!svg.contains("style="), "no inline styles: the CSP forbids them");
        assert!(bars(&[], 300, 80, "Nothing").contains("<svg"), "an empty period draws too");
    }
}
