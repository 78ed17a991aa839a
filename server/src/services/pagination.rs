//! Keyset pagination: a cursor is the sort key of the last row seen, so pages stay
//! stable while new rows arrive (the inbox grows while a recruiter scrolls).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ServiceError, ServiceResult};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub Vec<i64>);

impl Cursor {
    pub fn encode(&self) -> String {
        let joined: Vec<String> = self.0.iter().map(i64::to_string).collect();
        URL_SAFE_NO_PAD.encode(format!("k:{}", joined.join(":")))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let keys = text.strip_prefix("k:")?;
        keys.split(':')
            .map(|part| part.parse().ok())
            .collect::<Option<Vec<i64>>>()
            .map(Self)
    }

    /// The single key of an id-ordered list.
    pub fn single(&self) -> ServiceResult<i64> {
        match self.0.as_slice() {
            [id] => Ok(*id),
            _ => Err(ServiceError::invalid(
                "after",
                "the cursor does not belong to this list",
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<&str>) -> ServiceResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => n as u64,
            Some(_) => {
                return Err(ServiceError::invalid(
                    "first",
                    format!("must be between 1 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        let after = after
            .map(|text| Cursor::decode(text).ok_or_else(|| ServiceError::invalid("after", "not a valid cursor")))
            .transpose()?;
        Ok(Self { first, after })
    }

    /// How many rows to fetch: one more than asked, to know whether a next page exists.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }
}

pub struct Page<T> {
    pub items: Vec<(Cursor, T)>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Cuts the over-fetched row and pairs each item with its cursor.
    pub fn from_rows(rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> Vec<i64>) -> Self {
        let has_next_page = rows.len() as u64 > request.first;
        let items = rows
            .into_iter()
            .take(request.first as usize)
            .map(|row| (Cursor(key(&row)), row))
            .collect();
        Self { items, has_next_page }
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(cursor, item)| (cursor, f(item))).collect(),
            has_next_page: self.has_next_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor(vec![1_700_000_000_000_000, 42]);
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not base64!"), None);
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(500), None).is_err());
        assert!(PageRequest::parse(None, Some("x")).is_err());
    }
}
