//! Label sets as compact JSON with sorted keys, rendered once per set for the whole run.

use crate::catalog::LabelTable;
use ocp_summary_kernels::labels::{write_json, EnabledKeys, SetId};
use std::sync::Arc;

/// Compact JSON of every label set, by set id. Sets only ever get added, so
/// [`LabelJson::update`] renders just the new ones before each batch. Each text is shared, so a
/// batch's copy of the sets it uses ([`crate::sink::BatchText`]) takes references, not bytes:
/// copying the bytes was 2% of the run's CPU at L, on the thread the workers wait for.
#[derive(Default)]
pub struct LabelJson {
    json: Vec<Arc<[u8]>>,
}

impl LabelJson {
    /// Renders the sets added to `labels` since the last call. Keys are written by their names
    /// in `enabled`, the only keys a set can hold.
    pub fn update(&mut self, labels: &LabelTable, enabled: &EnabledKeys) {
        for id in self.json.len() as u32..labels.sets.len() as u32 {
            let mut out = Vec::new();
            write_json(
                labels.sets.get(SetId(id)),
                enabled,
                &labels.values,
                &mut out,
            );
            self.json.push(out.into());
        }
    }

    /// The JSON of every set so far, indexed by set id.
    pub fn as_slice(&self) -> &[Arc<[u8]>] {
        &self.json
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, TextTable};

    #[test]
    fn sets_render_once_in_id_order_with_sorted_keys() {
        let catalog = Catalog::new(EnabledKeys::new(["app", "team"].map(str::as_bytes)));
        let mut ids = Vec::new();
        catalog
            .intern_label_texts(&mut ids, |push| {
                push(br#"{"team":"b","app":"a","other":"x"}"#);
                push(br#"{}"#);
                Ok::<_, ocp_summary_kernels::KernelError>(())
            })
            .unwrap();
        catalog
            .resolve_labels(TextTable::LabelTexts, &mut ids)
            .unwrap();
        let mut json = LabelJson::default();
        catalog.with_labels(|labels, enabled| json.update(labels, enabled));
        let text = |id: u32| String::from_utf8(json.as_slice()[id as usize].to_vec()).unwrap();
        assert_eq!(text(ids[0]), r#"{"app":"a","team":"b"}"#);
        assert_eq!(text(ids[1]), "{}");
        let before = json.as_slice().len();
        catalog.with_labels(|labels, enabled| json.update(labels, enabled));
        assert_eq!(json.as_slice().len(), before, "no set renders twice");
    }
}
