//! AIP-158 pagination: page sizes and opaque page tokens. A token holds the
//! last key seen and a fingerprint of the request's filter; it grants no
//! access (every list applies the caller's scope anew) and cannot be
//! replayed against another filter.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use super::error::{Error, Result};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 1_000;

/// Where a page starts and how long it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Return items whose key is strictly greater than this.
    pub after: Option<String>,
    pub size: u64,
    fingerprint: String,
}

fn fingerprint(scope: &str, filter: &str) -> String {
    let digest = Sha256::digest(format!("{scope}\u{0}{filter}"));
    hex::encode(&digest[..8])
}

impl PageRequest {
    /// Parses `page_size` and `page_token` of a list whose other parameters
    /// (parent, filter) are `scope` and `filter`.
    pub fn parse(page_size: i32, page_token: &str, scope: &str, filter: &str) -> Result<Self> {
        let size = match page_size {
            n if n < 0 => return Err(Error::invalid("page_size", "must not be negative")),
            0 => DEFAULT_PAGE_SIZE,
            n => u64::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE),
        };
        let fingerprint = fingerprint(scope, filter);
        let after = if page_token.is_empty() {
            None
        } else {
            let bad = || Error::invalid("page_token", "is not a token this list returned");
            let raw = URL_SAFE_NO_PAD.decode(page_token).map_err(|_| bad())?;
            let text = String::from_utf8(raw).map_err(|_| bad())?;
            let (fp, key) = text.split_once(':').ok_or_else(bad)?;
            if fp != fingerprint {
                return Err(Error::invalid(
                    "page_token",
                    "was issued for a different parent or filter; start again without a token",
                ));
            }
            Some(key.to_owned())
        };
        Ok(Self {
            after,
            size,
            fingerprint,
        })
    }

    /// The token for the page after one whose last key is `last_key`.
    pub fn next_token(&self, last_key: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{last_key}", self.fingerprint))
    }

    /// How many rows to fetch: one more than the page, to know if another
    /// page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

impl<T> Page<T> {
    /// Builds a page from up to `fetch_limit` rows ordered by `key`.
    pub fn from_rows(request: &PageRequest, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(request.size).unwrap_or(usize::MAX);
        let next_page_token = if rows.len() > limit {
            rows.truncate(limit);
            rows.last()
                .map(|last| request.next_token(&key(last)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Self {
            items: rows,
            next_page_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_default_coerce_and_refuse_negative() {
        assert_eq!(PageRequest::parse(0, "", "", "").unwrap().size, 50);
        assert_eq!(PageRequest::parse(5_000, "", "", "").unwrap().size, 1_000);
        assert!(PageRequest::parse(-1, "", "", "").is_err());
    }

    #[test]
    fn tokens_only_work_for_the_same_filter() {
        let first = PageRequest::parse(2, "", "", "region = MACAO").unwrap();
        let page = Page::from_rows(&first, vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(page.items, vec!["a", "b"]);
        let again = PageRequest::parse(2, &page.next_page_token, "", "region = MACAO").unwrap();
        assert_eq!(again.after.as_deref(), Some("b"));
        assert!(PageRequest::parse(2, &page.next_page_token, "", "").is_err());
        assert!(PageRequest::parse(2, "garbage!", "", "").is_err());
    }
}
