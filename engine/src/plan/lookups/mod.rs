//! The lookups a run joins against: enabled tag keys, cost-category namespaces and node roles.
//!
//! Koku keeps them in PostgreSQL. A run takes each from the options when they give it
//! ([`GivenLookups`]) and from the database otherwise; [`Lookups`] is the resolved result, fixed
//! before any row is read. Keeping it apart from [`super::Plan`] is what lets the plan stay
//! immutable: the database is read after validation, and nothing rewrites the plan.

mod database;

pub use database::{node_role, node_roles_sql, read_lookups};

use anyhow::{anyhow, Context};

/// The resolved lookups of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// `None`: no enabled OCP keys (E4). `Some`: the keys, `vm_kubevirt_io_name` included.
    pub enabled_keys: Option<Vec<String>>,
    pub cost_categories: Vec<CostCategory>,
    /// `reporting_ocp_nodes` rows, for the unallocated rows' namespaces (spec §8).
    pub node_roles: Vec<NodeRole>,
}

/// The lookups the options gave: `None` for each one to read from the database, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GivenLookups {
    pub enabled_keys: Option<Option<Vec<String>>>,
    pub cost_categories: Option<Vec<CostCategory>>,
    pub node_roles: Option<Vec<NodeRole>>,
}

impl GivenLookups {
    /// Whether every lookup was given, so a run needs no database read for them.
    pub fn complete(&self) -> bool {
        self.enabled_keys.is_some() && self.cost_categories.is_some() && self.node_roles.is_some()
    }

    /// The lookups with every one not given taken from `read`, called once per missing lookup.
    pub fn resolve<E>(
        self,
        mut read: impl FnMut(Missing) -> Result<Lookups, E>,
    ) -> Result<Lookups, E> {
        let mut from_source = |m| read(m);
        Ok(Lookups {
            enabled_keys: match self.enabled_keys {
                Some(keys) => keys,
                None => from_source(Missing::EnabledKeys)?.enabled_keys,
            },
            cost_categories: match self.cost_categories {
                Some(c) => c,
                None => from_source(Missing::CostCategories)?.cost_categories,
            },
            node_roles: match self.node_roles {
                Some(r) => r,
                None => from_source(Missing::NodeRoles)?.node_roles,
            },
        })
    }

    /// The lookups of a run without a database: what was not given is empty.
    pub fn without_database(self) -> Lookups {
        self.resolve(|_| Ok::<_, std::convert::Infallible>(Lookups::default()))
            .unwrap_or_else(|never| match never {})
    }
}

/// Koku's seeded `reporting_ocp_cost_category_namespace` rows (category "Platform", id 1), as
/// `--cost-category` values.
pub const KOKU_DEFAULT_COST_CATEGORIES: &[&str] = &[
    "openshift-%=1",
    "kube-%=1",
    "Platform unallocated=1",
    "openshift=1",
];

/// A lookup the options did not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    EnabledKeys,
    CostCategories,
    NodeRoles,
}

/// One `reporting_ocp_cost_category_namespace` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostCategory {
    pub pattern: String,
    pub id: i32,
}

/// Which resource ids a node role applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleResource {
    /// `NODE=ROLE`: every resource id of the node.
    Any,
    /// `NODE@\N=ROLE`: a NULL resource id, which never joins (as in Koku).
    Null,
    Id(String),
}

/// One `reporting_ocp_nodes` row: the role of a node (spec §2.5, §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRole {
    pub node: String,
    pub resource_id: RoleResource,
    /// `None` for `\N` (a NULL role).
    pub role: Option<String>,
}

/// Trino's rule (spec §3, E4): no enabled key → nothing survives; otherwise the keys plus
/// `vm_kubevirt_io_name`.
pub fn enabled_key_list(keys: Option<Vec<String>>) -> Option<Vec<String>> {
    let mut keys: Vec<String> = keys?
        .into_iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() {
        return None;
    }
    keys.push("vm_kubevirt_io_name".into());
    keys.sort();
    keys.dedup();
    Some(keys)
}

pub fn parse_cost_category(s: &str) -> anyhow::Result<CostCategory> {
    let (pattern, id) = s
        .rsplit_once('=')
        .ok_or_else(|| anyhow!("--cost-category {s:?}: expected PATTERN=ID"))?;
    let id = id
        .trim()
        .parse()
        .with_context(|| format!("--cost-category {s:?}: ID must be an integer"))?;
    Ok(CostCategory {
        pattern: pattern.to_string(),
        id,
    })
}

/// `NODE[@RESOURCE_ID]=ROLE`; `\N` stands for NULL (resource id or role), as in the oracle. The
/// node may be empty: Koku's `reporting_ocp_nodes` holds node `''` (edge case E1), and a row of
/// that table must be expressible as a flag.
pub fn parse_node_role(s: &str) -> anyhow::Result<NodeRole> {
    let (target, role) = s
        .rsplit_once('=')
        .ok_or_else(|| anyhow!("--node-role {s:?}: expected NODE[@RESOURCE_ID]=ROLE"))?;
    let (node, resource_id) = match target.split_once('@') {
        None => (target, RoleResource::Any),
        Some((node, "\\N")) => (node, RoleResource::Null),
        Some((node, rid)) => (node, RoleResource::Id(rid.to_string())),
    };
    Ok(NodeRole {
        node: node.to_string(),
        resource_id,
        role: (role != "\\N").then(|| role.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_keys_follow_trino() {
        assert_eq!(enabled_key_list(None), None);
        assert_eq!(enabled_key_list(Some(vec![])), None);
        assert_eq!(
            enabled_key_list(Some(vec!["b".into(), "a".into()])),
            Some(vec!["a".into(), "b".into(), "vm_kubevirt_io_name".into()])
        );
    }

    #[test]
    fn cost_categories_parse() {
        let c = parse_cost_category("a=b%=7").unwrap();
        assert_eq!((c.pattern.as_str(), c.id), ("a=b%", 7));
        assert!(parse_cost_category("x").is_err());
    }

    #[test]
    fn node_role_parses() {
        let r = parse_node_role("n1@i-1=master").unwrap();
        assert_eq!(r.node, "n1");
        assert_eq!(r.resource_id, RoleResource::Id("i-1".into()));
        assert_eq!(r.role.as_deref(), Some("master"));
        let r = parse_node_role("n2=worker").unwrap();
        assert_eq!(r.resource_id, RoleResource::Any);
        let r = parse_node_role("n3@\\N=\\N").unwrap();
        assert_eq!((r.resource_id, r.role), (RoleResource::Null, None));
        assert!(parse_node_role("n4").is_err());
        let r = parse_node_role("@i-abc=worker").unwrap();
        assert_eq!(
            (r.node.as_str(), &r.resource_id),
            ("", &RoleResource::Id("i-abc".into()))
        );
        let r = parse_node_role("=infra").unwrap();
        assert_eq!((r.node.as_str(), &r.resource_id), ("", &RoleResource::Any));
    }

    #[test]
    fn only_missing_lookups_are_read() {
        let given = GivenLookups {
            enabled_keys: Some(None),
            cost_categories: None,
            node_roles: Some(vec![]),
        };
        let mut asked = Vec::new();
        let lookups = given
            .resolve(|m| {
                asked.push(m);
                Ok::<_, ()>(Lookups {
                    enabled_keys: Some(vec!["db".into()]),
                    cost_categories: vec![CostCategory {
                        pattern: "kube-%".into(),
                        id: 1,
                    }],
                    node_roles: vec![],
                })
            })
            .unwrap();
        assert_eq!(asked, [Missing::CostCategories]);
        assert_eq!(
            lookups.enabled_keys, None,
            "given keys win over the database"
        );
        assert_eq!(lookups.cost_categories.len(), 1);
        assert!(GivenLookups::default().without_database() == Lookups::default());
    }
}
