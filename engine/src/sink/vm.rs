//! The VM temp-table rows as CSV, in the summary's dialect: the columns of Koku's
//! `create_virtualization_tmp_table.sql` (vm_name, node, pvc_name, cpu_request, mem_request).

use crate::render::text::{float, opt_text, sep, text};
use crate::rows::vm::VmRow;
use std::io::Write;

pub const COLUMNS: &[&str] = &["vm_name", "node", "pvc_name", "cpu_request", "mem_request"];

/// The rows with a header, `\N` for NULL.
pub fn csv(rows: &[VmRow], out: &mut impl Write) -> std::io::Result<()> {
    let mut buf = COLUMNS.join(",").into_bytes();
    buf.push(b'\n');
    for r in rows {
        text(&mut buf, r.vm_name.as_bytes());
        sep(&mut buf);
        opt_text(&mut buf, r.node.as_deref());
        sep(&mut buf);
        opt_text(&mut buf, r.pvc_name.as_deref());
        sep(&mut buf);
        float(&mut buf, r.cpu_request);
        sep(&mut buf);
        float(&mut buf, r.mem_request);
        buf.push(b'\n');
    }
    out.write_all(&buf)
}
