//! Arbitrary bytes as a Parquet file: footer, column chunks, pages, levels, dictionaries and
//! label JSON all go through the engine's decode path. Any outcome but a panic is fine; errors
//! must name what they could.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_engine::decode::probe::probe_object;
use ocp_summary_engine::source::memory::MemoryStore;
use ocp_summary_engine::source::ObjectMeta;

fuzz_target!(|data: &[u8]| {
    let mut store = MemoryStore::default();
    store.insert("f.parquet", data.to_vec());
    let object = ObjectMeta {
        key: "f.parquet".into(),
        size: data.len() as u64,
    };
    if let Err(e) = probe_object(&store, &object) {
        let e = e.to_string();
        assert!(e.contains("memory:f.parquet"), "error without a location: {e}");
    }
});
