//! One pager for every list: the page a visitor asks for (the query's `page`), the size of a page,
//! and whether another page follows, told by fetching one row more than a page. Lists do not
//! count their rows: on a large table counting costs more than the page itself. The template
//! piece is `pager` in `macros.html`.

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::future::{Ready, ready};

use crate::error::AppError;

/// The highest page number anyone is sent to: deeper pages would make the database skip more
/// rows than anyone reads (the catalog's 24 a page, 24,000 rows).
pub const MAX_PAGE: i64 = 1000;

/// One page of a list: its number (from 1) and how many rows a page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pager {
    pub number: i64,
    pub size: i64,
}

impl Pager {
    pub fn new(number: i64, size: i64) -> Self {
        Self { number: number.clamp(1, MAX_PAGE), size: size.max(1) }
    }

    /// The first page.
    pub fn first(size: i64) -> Self {
        Self::new(1, size)
    }

    /// Rows before this page.
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }

    /// How many rows to fetch: one more than a page, to tell whether another follows.
    pub fn fetch(&self) -> i64 {
        self.size + 1
    }

    /// The page's rows out of the rows fetched.
    pub fn split<T>(&self, mut rows: Vec<T>) -> Paged<T> {
        let has_next = rows.len() as i64 > self.size;
        rows.truncate(usize::try_from(self.size).unwrap_or(usize::MAX));
        Paged { rows, number: self.number, has_next }
    }
}

/// The rows of one page, with what the pager links need.
#[derive(Clone, Debug)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub number: i64,
    pub has_next: bool,
}

impl<T> Paged<T> {
    /// The page, or 404 for a page past the end (the first page of an empty list is a page).
    pub fn found(self) -> Result<Self, AppError> {
        if self.rows.is_empty() && self.number > 1 { Err(AppError::NotFound) } else { Ok(self) }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A page number as typed into an address: none means the first page.
pub fn parse_number(raw: Option<&str>) -> Result<i64, String> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(1),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            _ => Err(format!("The page must be a whole number from 1 to {MAX_PAGE}.")),
        },
    }
}

/// The page number a request asks for (`?page=`); anything but a whole number from 1 is a 400.
#[derive(Clone, Copy, Debug)]
pub struct PageNumber(pub i64);

impl PageNumber {
    /// That page of a list of pages of `size` rows.
    pub fn of(self, size: i64) -> Pager {
        Pager::new(self.0, size)
    }
}

impl FromRequest for PageNumber {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "page")
            .map(|(_, v)| v.into_owned());
        ready(parse_number(raw.as_deref()).map(PageNumber).map_err(AppError::BadRequest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_told_from_one_row_more() {
        let pager = Pager::new(2, 3);
        assert_eq!((pager.offset(), pager.fetch()), (3, 4));
        let full = pager.split(vec![1, 2, 3, 4]);
        assert_eq!((full.rows, full.has_next), (vec![1, 2, 3], true));
        let last = pager.split(vec![1, 2]);
        assert_eq!((last.rows.len(), last.has_next), (2, false));
        assert!(pager.split(Vec::<i32>::new()).found().is_err(), "past the end");
        assert!(Pager::first(3).split(Vec::<i32>::new()).found().is_ok(), "an empty list has a first page");
    }

    #[test]
    fn page_numbers_are_whole_numbers_from_one() {
        assert_eq!(parse_number(None), Ok(1));
        assert_eq!(parse_number(Some(" 7 ")), Ok(7));
        for bad in ["0", "-1", "abc", "1.5", "1001", "99999999999999999999999"] {
            assert!(parse_number(Some(bad)).is_err(), "{bad}");
        }
    }
}
