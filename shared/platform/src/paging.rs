//! Page tokens: opaque to callers, an offset-free cursor inside (the last key
//! of the previous page), so pages stay stable while rows are added.

use crate::error::ServiceError;

/// Default page size when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page size served.
pub const MAX_PAGE_SIZE: u64 = 500;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to return.
    pub size: u64,
    /// Key after which the page starts; `None` for the first page.
    pub after: Option<String>,
}

impl PageRequest {
    /// Validates `page_size` and decodes `page_token`.
    pub fn parse(page_size: i32, page_token: &str) -> Result<Self, ServiceError> {
        let size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => {
                return Err(ServiceError::invalid(
                    "page_size",
                    "must not be negative (0 means the default of 50)",
                ));
            }
            n => u64::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            Some(decode(page_token).ok_or_else(|| {
                ServiceError::invalid(
                    "page_token",
                    "is not a token returned by this list; start again with an empty token",
                )
            })?)
        };
        Ok(Self { size, after })
    }

    /// Rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }

    /// Cuts the fetched rows to the page and returns the next token.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, String) {
        let more = rows.len() as u64 > self.size;
        rows.truncate(usize::try_from(self.size).unwrap_or(usize::MAX));
        let token = if more {
            rows.last().map(|r| encode(&key(r))).unwrap_or_default()
        } else {
            String::new()
        };
        (rows, token)
    }
}

const TOKEN_PREFIX: &str = "p1.";

fn encode(key: &str) -> String {
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_PREFIX}{hex}")
}

fn decode(token: &str) -> Option<String> {
    let hex = token.strip_prefix(TOKEN_PREFIX)?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let page = PageRequest::parse(2, "").expect("first page");
        let (rows, token) = page.finish(vec!["a", "b", "c"], |r| (*r).to_owned());
        assert_eq!(rows, vec!["a", "b"]);
        let next = PageRequest::parse(2, &token).expect("next page");
        assert_eq!(next.after.as_deref(), Some("b"));
        assert!(PageRequest::parse(2, "garbage").is_err());
        assert!(PageRequest::parse(-1, "").is_err());
        assert_eq!(
            PageRequest::parse(10_000, "").expect("capped").size,
            MAX_PAGE_SIZE
        );
    }

    #[test]
    fn last_page_has_no_token() {
        let page = PageRequest::parse(5, "").expect("page");
        let (_, token) = page.finish(vec![1, 2], |r| r.to_string());
        assert!(token.is_empty());
    }
}
