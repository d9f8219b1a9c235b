//! BYTE_ARRAY columns as interned ids.
//!
//! A dictionary page is interned once (one lock per page) into a table from local dictionary id to
//! global id; data pages then only map small integers. Label columns go one step further: the table
//! maps straight to label-set ids, so JSON is parsed once per distinct string for the whole run.
//! PLAIN pages (pyarrow's fallback when a dictionary grows too big) intern value by value.

use super::chunk::{plain_byte_arrays, ValueDecoder};
use super::DecodeError;
use crate::catalog::{Catalog, NULL_ID};

/// What a string column's ids mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringMode {
    /// Global string ids.
    Interned,
    /// Label set ids (`NULL_SET` for NULL or JSON `null`).
    Labels,
}

pub struct StringDecoder<'c> {
    catalog: &'c Catalog,
    mode: StringMode,
    dict: Option<Vec<u32>>,
    scratch: Vec<u32>,
}

impl<'c> StringDecoder<'c> {
    pub fn new(catalog: &'c Catalog, mode: StringMode) -> Self {
        StringDecoder {
            catalog,
            mode,
            dict: None,
            scratch: Vec::new(),
        }
    }

    fn intern_plain(
        &mut self,
        buf: &[u8],
        n: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), DecodeError> {
        let start = out.len();
        self.catalog.intern_many(out, |push| {
            plain_byte_arrays(buf, n, |v| {
                push(v);
                Ok(())
            })
        })?;
        if self.mode == StringMode::Labels {
            self.catalog
                .resolve_labels(&mut out[start..])
                .map_err(|b| DecodeError::Label {
                    preview: b.preview,
                    reason: b.reason,
                })?;
        }
        Ok(())
    }
}

impl ValueDecoder for StringDecoder<'_> {
    type Item = u32;
    const NULL: u32 = NULL_ID;

    fn set_dictionary(&mut self, buf: &[u8], n: usize) -> Result<(), DecodeError> {
        let mut dict = std::mem::take(&mut self.scratch);
        dict.clear();
        self.intern_plain(buf, n, &mut dict)?;
        if let Some(old) = self.dict.replace(dict) {
            self.scratch = old;
        }
        Ok(())
    }

    fn dictionary(&self) -> Option<&[u32]> {
        self.dict.as_deref()
    }

    fn read_plain(&mut self, buf: &[u8], n: usize, out: &mut Vec<u32>) -> Result<(), DecodeError> {
        self.intern_plain(buf, n, out)
    }
}
