//! Arbitrary bytes as a column chunk through `decode::pages::ChunkPages`: the Thrift page-header
//! parser (`kernels::page_header`), CRC checks and snappy decompression into the reused buffer.
//!
//! Byte 0 picks the codec (even: UNCOMPRESSED, odd: SNAPPY). No input may panic; a header that
//! parses must parse the same from exactly the bytes it said it used; the decompression buffer
//! never grows past what the compressed bytes can hold; every page lent lies within it or the
//! chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_engine::decode::pages::{ChunkPages, PageSource, PageView};
use ocp_summary_kernels::page_header::parse_page_header;
use parquet::basic::Compression;

fuzz_target!(|data: &[u8]| {
    let [codec, chunk @ ..] = data else {
        return;
    };
    if let Ok((header, used)) = parse_page_header(chunk) {
        assert!(used <= chunk.len());
        assert_eq!(parse_page_header(&chunk[..used]), Ok((header, used)));
    }
    let codec = match codec % 2 {
        0 => Compression::UNCOMPRESSED,
        _ => Compression::SNAPPY,
    };
    let mut buf = Vec::new();
    let mut pages = ChunkPages::new(chunk, codec, &mut buf).expect("both codecs are read here");
    for _ in 0..chunk.len() + 1 {
        match pages.next_page() {
            Ok(Some(page)) => {
                let len = match page {
                    PageView::Dictionary { buf, .. }
                    | PageView::DataV1 { buf, .. }
                    | PageView::DataV2 { buf, .. } => buf.len(),
                };
                assert!(len <= 32 * chunk.len() + 64, "page of {len} bytes");
            }
            Ok(None) | Err(_) => break,
        }
    }
    drop(pages);
    assert!(buf.len() <= 32 * chunk.len() + 64, "buffer grew to {}", buf.len());
});
