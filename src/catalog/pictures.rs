//! Product pictures as the shop keeps them: whatever a salesperson uploads (JPEG, PNG or WebP, up
//! to `MAX_UPLOAD` bytes and `MAX_SIDE` pixels a side) is decoded and encoded anew as JPEG, which
//! drops every piece of metadata (camera, GPS position, comments), in two sizes: a thumbnail for
//! the cards and a page-size image. Pure functions over bytes; storing them is `service`'s.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, imageops::FilterType};
use sha2::{Digest, Sha256};

/// The largest upload taken.
pub const MAX_UPLOAD: usize = 8 * 1024 * 1024;
/// The longest side a picture may have when it arrives.
pub const MAX_SIDE: u32 = 8000;
/// The thumbnail's box (the picture fits in it, keeping its proportions).
pub const THUMB_SIDE: u32 = 320;
/// The page-size image's box.
pub const PAGE_SIDE: u32 = 1024;
/// Pictures per offer.
pub const MAX_PER_OFFER: usize = 6;

const JPEG_QUALITY: u8 = 82;

/// A picture ready to store.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The first 32 hex digits of the SHA-256 of the page-size image: its address.
    pub hash: String,
    pub thumb: Vec<u8>,
    pub page: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    #[error("The picture is larger than 8 MB.")]
    TooLarge,
    #[error("Choose a JPEG, PNG or WebP picture.")]
    NotAPicture,
    #[error("The picture is more than 8000 pixels wide or high.")]
    TooManyPixels,
    #[error("The picture could not be read: the file seems damaged.")]
    Damaged,
}

/// Decodes an upload and makes its two sizes.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, PictureError> {
    if bytes.len() > MAX_UPLOAD {
        return Err(PictureError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| PictureError::NotAPicture)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(PictureError::NotAPicture);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PictureError::TooManyPixels,
        _ => PictureError::Damaged,
    })?;
    from_image(&decoded)
}

/// The two sizes of a picture made by the program (the demo's).
pub fn from_image(picture: &DynamicImage) -> Result<Prepared, PictureError> {
    // Transparent parts become white: JPEG has no transparency.
    let flat = flatten(picture);
    let page = fit(&flat, PAGE_SIDE);
    let thumb = fit(&flat, THUMB_SIDE);
    let (width, height) = (page.width(), page.height());
    let page = jpeg(&page)?;
    let thumb = jpeg(&thumb)?;
    let hash = hex::encode(Sha256::digest(&page))[..32].to_owned();
    Ok(Prepared { hash, thumb, page, width, height })
}

fn flatten(picture: &DynamicImage) -> DynamicImage {
    let rgba = picture.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = u16::from(p[3]);
        let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        rgb.put_pixel(x, y, image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])]));
    }
    DynamicImage::ImageRgb8(rgb)
}

fn fit(picture: &DynamicImage, side: u32) -> DynamicImage {
    if picture.width() <= side && picture.height() <= side {
        return picture.clone();
    }
    picture.resize(side, side, FilterType::Triangle)
}

fn jpeg(picture: &DynamicImage) -> Result<Vec<u8>, PictureError> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    picture.to_rgb8().write_with_encoder(encoder).map_err(|_| PictureError::Damaged)?;
    Ok(out)
}

/// A picture for a demo product of a kind: a soft background in the kind's own hue and a simple
/// shape, drawn by the program (nothing downloaded).
pub fn demo_picture(kind_code: &str) -> DynamicImage {
    let seed = kind_code.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let hue = (seed % 360) as f32;
    let (w, h) = (480u32, 360u32);
    let base = hsl(hue, 0.45, 0.88);
    let ink = hsl(hue, 0.55, 0.42);
    let shape = seed % 3;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
        let inside = match shape {
            0 => fx.abs() < 0.28 && fy.abs() < 0.22,                            // a box
            1 => (fx * fx + fy * fy * 1.8).sqrt() < 0.3,                        // a disc
            _ => fy > -0.25 && fy < 0.25 && fx.abs() < 0.3 - (fy + 0.25) * 0.3, // a stand
        };
        if inside { ink } else { base }
    });
    DynamicImage::ImageRgb8(img)
}

fn hsl(h: f32, s: f32, l: f32) -> image::Rgb<u8> {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    image::Rgb([to(r), to(g), to(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(w, h, image::Rgba([10, 20, 30, 128])));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("png");
        out
    }

    #[test]
    fn an_upload_becomes_two_jpegs_that_fit_their_boxes() {
        let p = prepare(&png(2000, 1000)).expect("prepared");
        assert_eq!((p.width, p.height), (PAGE_SIDE, PAGE_SIDE / 2));
        assert_eq!(image::guess_format(&p.page).ok(), Some(ImageFormat::Jpeg));
        let thumb = image::load_from_memory(&p.thumb).expect("thumb");
        assert_eq!((thumb.width(), thumb.height()), (THUMB_SIDE, THUMB_SIDE / 2));
        assert_eq!(p.hash.len(), 32);
        assert_eq!(prepare(&png(2000, 1000)).expect("again").hash, p.hash, "the same picture, the same address");
    }

    #[test]
    fn what_is_not_a_picture_is_refused() {
        assert_eq!(prepare(b"GIF89a....").err(), Some(PictureError::NotAPicture));
        assert_eq!(prepare(b"hello").err(), Some(PictureError::NotAPicture));
        let mut broken = png(50, 50);
        broken.truncate(60);
        assert_eq!(prepare(&broken).err(), Some(PictureError::Damaged));
        assert_eq!(prepare(&vec![0u8; MAX_UPLOAD + 1]).err(), Some(PictureError::TooLarge));
    }

    #[test]
    fn metadata_does_not_survive() {
        // A JPEG with an EXIF segment holding a made-up GPS tag comes out without it.
        let mut jpeg_bytes = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(40, 30, image::Rgb([200, 100, 50])))
            .write_to(&mut Cursor::new(&mut jpeg_bytes), ImageFormat::Jpeg)
            .expect("jpeg");
        let exif = b"Exif\0\0GPSLatitude 52.52 GPSLongitude 13.40";
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        with_exif.extend_from_slice(exif);
        with_exif.extend_from_slice(&jpeg_bytes[2..]);
        let p = prepare(&with_exif).expect("prepared");
        let found = |hay: &[u8]| hay.windows(11).any(|w| w == b"GPSLatitude");
        assert!(found(&with_exif) && !found(&p.page) && !found(&p.thumb));
    }

    #[test]
    fn demo_pictures_differ_by_kind() {
        let a = from_image(&demo_picture("printer")).expect("printer");
        let b = from_image(&demo_picture("notebook")).expect("notebook");
        assert_ne!(a.hash, b.hash);
    }
}
