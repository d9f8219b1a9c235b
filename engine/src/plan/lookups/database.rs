//! The lookups a run joins against, read from Koku's tables when the options leave them out.

use super::{
    enabled_key_list, CostCategory, GivenLookups, Lookups, Missing, NodeRole, RoleResource,
};
use crate::database::Target;
use crate::error::Error;
use crate::plan::DbSpec;
use postgres::Client;

/// The lookups of a run against `spec`: those `given` by the options, the others read from the
/// database (one connection, one query per missing lookup).
pub fn read_lookups(spec: &DbSpec, given: GivenLookups) -> Result<Lookups, Error> {
    if given.complete() {
        return Ok(given.without_database());
    }
    let target = Target::new(spec)?;
    let mut client = target.connect()?;
    let q = |client: &mut Client, sql: String, what: &str| {
        client
            .query(&sql, &[])
            .map_err(|e| target.error(&format!("reading {what}"), &e))
    };
    let lookups = given.resolve(|missing| {
        let mut found = Lookups::default();
        match missing {
            Missing::EnabledKeys => {
                let rows = q(
                    &mut client,
                    format!(
                        "SELECT key FROM {} WHERE enabled = true AND provider_type = 'OCP' ORDER BY key",
                        target.table("reporting_enabledtagkeys")
                    ),
                    "enabled keys",
                )?;
                let keys: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
                found.enabled_keys = enabled_key_list(Some(keys));
            }
            Missing::CostCategories => {
                let rows = q(
                    &mut client,
                    format!(
                        "SELECT namespace, cost_category_id FROM {} WHERE cost_category_id IS NOT NULL ORDER BY id",
                        target.table("reporting_ocp_cost_category_namespace")
                    ),
                    "cost-category namespaces",
                )?;
                found.cost_categories = rows
                    .iter()
                    .map(|r| CostCategory {
                        pattern: r.get(0),
                        id: r.get(1),
                    })
                    .collect();
            }
            Missing::NodeRoles => {
                let rows = q(&mut client, node_roles_sql(&target), "node roles")?;
                found.node_roles = rows.iter().map(node_role).collect();
            }
        }
        Ok::<_, Error>(found)
    })?;
    tracing::info!(
        "lookups from {}: {} enabled keys, {} cost-category patterns, {} node roles",
        target.describe(),
        lookups.enabled_keys.as_ref().map_or(0, Vec::len),
        lookups.cost_categories.len(),
        lookups.node_roles.len()
    );
    Ok(lookups)
}

/// `max(node_role)` per (node, resource_id) of `reporting_ocp_nodes`, over every cluster of the
/// schema, as the daily-summary SQL joins it (spec §8, E10).
pub fn node_roles_sql(target: &Target) -> String {
    format!(
        "SELECT node, resource_id, max(node_role) FROM {} WHERE node IS NOT NULL \
         GROUP BY node, resource_id ORDER BY 1, 2",
        target.table("reporting_ocp_nodes")
    )
}

/// One row of [`node_roles_sql`].
pub fn node_role(r: &postgres::Row) -> NodeRole {
    NodeRole {
        node: r.get(0),
        resource_id: match r.get::<_, Option<String>>(1) {
            Some(id) => RoleResource::Id(id),
            None => RoleResource::Null,
        },
        role: r.get(2),
    }
}
