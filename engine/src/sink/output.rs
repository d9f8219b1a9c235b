//! The sink trait: what every output (CSV, binary COPY file, PostgreSQL) takes.

use crate::aggregate::cluster::ClusterRows;
use crate::error::Error;
use crate::plan::lookups::NodeRole;
use crate::render::RenderContext;
use crate::rows::gpu::GpuRow;
use crate::rows::SummaryRow;

/// Rows and bytes a sink wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SinkSummary {
    pub rows: u64,
    pub bytes: u64,
    /// Transactions retried after connection-class failures (a database load).
    pub retries: u64,
}

/// A destination that takes sorted rows one batch of complete days at a time.
pub trait RowSink {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error>;

    /// Writes Koku's cluster tables from `rows`, before the first batch, when this sink keeps
    /// them (the database, with the plan's `cluster_tables`), and returns what it wrote together
    /// with the node roles of `reporting_ocp_nodes` afterwards: Koku's summary reads its
    /// unallocated rows' roles back from that table. Other sinks return `None`.
    fn write_cluster_tables(
        &mut self,
        _rows: &ClusterRows,
    ) -> Result<Option<ClusterTablesWritten>, Error> {
        Ok(None)
    }

    /// Writes the usage-only GPU summary rows, before the first batch, when this sink keeps them
    /// (the database); others return `None` and the run writes a file instead.
    fn write_gpu_summary(&mut self, _rows: &[GpuRow]) -> Result<Option<GpuWritten>, Error> {
        Ok(None)
    }
}

/// What [`RowSink::write_gpu_summary`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuWritten {
    /// Rows inserted after the source's day range was cleared.
    Rows(u64),
    /// The source's cost model prices GPUs: Koku's cost rows stand, nothing was written.
    CostModelPricesGpus,
}

/// What [`RowSink::write_cluster_tables`] did.
#[derive(Debug, Clone, Default)]
pub struct ClusterTablesWritten {
    pub counts: ClusterTableCounts,
    /// `(node, resource_id, max(node_role))` of `reporting_ocp_nodes` after the write.
    pub node_roles: Vec<NodeRole>,
}

/// Rows created, changed and deleted in the cluster tables by one run (a row Koku would save
/// with the values it already holds is not counted, nor written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterTableCounts {
    pub clusters_created: u64,
    pub clusters_updated: u64,
    /// Duplicate clusters of the source removed (with their nodes, PVCs and projects).
    pub clusters_deleted: u64,
    pub nodes_created: u64,
    pub nodes_updated: u64,
    pub pvcs_created: u64,
    pub pvcs_updated: u64,
    pub projects_created: u64,
    /// Query rows Koku's model cannot hold (a NULL PV, PVC or project name), skipped.
    pub skipped: u64,
}

impl ClusterTableCounts {
    /// One line for the run report.
    pub fn describe(&self) -> String {
        format!(
            "cluster tables: clusters +{} ~{} -{}, nodes +{} ~{}, pvcs +{} ~{}, projects +{}, {} skipped",
            self.clusters_created,
            self.clusters_updated,
            self.clusters_deleted,
            self.nodes_created,
            self.nodes_updated,
            self.pvcs_created,
            self.pvcs_updated,
            self.projects_created,
            self.skipped
        )
    }
}

/// What produces a run's rows: called with the output, it writes every batch into it. A database
/// load calls it again from the start when the transaction has to be retried.
pub type Produce<'a> = dyn FnMut(&mut (dyn RowSink + Send)) -> Result<(), Error> + 'a;
