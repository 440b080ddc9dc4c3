#![allow(missing_docs)]
//! Every kind of change `orch-migrate generate` makes, planned and applied on real databases,
//! with and without existing subscriptions: the resulting rows, what `down` restores, and that
//! generating again finds nothing to do.
//!
//! Each test starts from the catalogue in [`base`] (three product types, four products, three
//! blocks), migrated with [`BASE_ANSWERS`]; the `Subscriptions` variant then adds the
//! subscriptions of [`seed`]. A test declares the next version of the models in a module of its
//! own, plans and applies it, and compares the metadata ([`metadata`]) and the subscription data
//! ([`state`]) with what they were, changed by exactly what the change kind should change.
//!
//! The registries are built explicitly ([`registry`]), so the workshop's global registry is
//! never touched.

use orch_core::entity::{
    fixed_inputs, processes, processes_subscriptions, products, resource_types,
    subscription_instance_relations, subscription_instance_values, subscription_instances,
    subscriptions, workflows,
};
use orch_core::migration::Op;
use orch_core::{Product, ProductTypeDescriptor, Registry};
use orch_migrate::answers::AnswersError;
use orch_migrate::catalog::Relation;
use orch_migrate::diff::Changes;
use orch_migrate::plan::{Plan, PlanError};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, Statement,
};
use serde_json::{Value, json};
use tests::pipeline::{apply, core_schema, metadata, migrate, plan, registry};
use tests::{Backend, TestDb};

// ---------------------------------------------------------------------------------------------
// The models
// ---------------------------------------------------------------------------------------------

/// Version 1 of the catalogue: ports, lags of ports, and vlans.
mod base {
    use orch_core::{FieldValue, product, product_block};

    #[derive(Debug, Clone, Copy, PartialEq, FieldValue)]
    pub(crate) enum Speed {
        #[value = "1G"]
        OneG,
        #[value = "10G"]
        TenG,
        #[value = "100G"]
        HundredG,
    }

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub mtu: i64,
    }

    #[product_block(name = "LagBlock")]
    pub struct LagBlock {
        pub alias: String,
        #[items(min = 2, max = 8)]
        pub members: Vec<PortBlock>,
    }

    #[product_block(name = "VlanBlock")]
    pub struct VlanBlock {
        pub vid: i64,
    }

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub speed: Speed,
        pub port: PortBlock,
    }

    #[product(product_type = "Lag", imported)]
    pub struct Lag {
        pub lag: LagBlock,
    }

    #[product(product_type = "Vlan", imported)]
    pub struct Vlan {
        pub vlan: VlanBlock,
    }
}

/// Declares `LagBlock`, `Port` and `Lag` over the `PortBlock` in scope, for versions that change
/// `PortBlock` (a registry holds one type per block name, so everything that uses a changed
/// block is declared again).
macro_rules! users_of_port_block {
    () => {
        // the lifecycle aliases the macros declare are not all used here
        #[allow(dead_code)]
        mod users {
            use super::PortBlock;

            #[orch_core::product_block(name = "LagBlock")]
            pub(crate) struct LagBlock {
                pub alias: String,
                #[items(min = 2, max = 8)]
                pub members: Vec<PortBlock>,
            }

            #[orch_core::product(product_type = "Port", imported)]
            pub(crate) struct Port {
                pub speed: crate::base::Speed,
                pub port: PortBlock,
            }

            #[orch_core::product(product_type = "Lag", imported)]
            pub(crate) struct Lag {
                pub lag: LagBlock,
            }
        }
        pub(crate) use users::{Lag, Port};
    };
}

/// A new product type with a new block that uses an existing one.
mod m_switch {
    use crate::base::PortBlock;
    use orch_core::{product, product_block};

    #[product_block(name = "SwitchBlock")]
    pub struct SwitchBlock {
        pub hostname: String,
        #[items(min = 1, max = 48)]
        pub ports: Vec<PortBlock>,
    }

    #[product(product_type = "Switch", imported)]
    pub struct Switch {
        pub switch: SwitchBlock,
    }
}

/// The same fields as `base::Port` under another product type.
mod m_fast_port {
    use crate::base::{PortBlock, Speed};
    use orch_core::product;

    #[product(product_type = "FastPort", imported)]
    pub struct FastPort {
        pub speed: Speed,
        pub port: PortBlock,
    }
}

/// A new enum fixed input.
mod m_duplex {
    use crate::base::{PortBlock, Speed};
    use orch_core::{FieldValue, product};

    #[derive(Debug, Clone, Copy, PartialEq, FieldValue)]
    pub(crate) enum Duplex {
        #[value = "half"]
        Half,
        #[value = "full"]
        Full,
    }

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub speed: Speed,
        pub duplex: Duplex,
        pub port: PortBlock,
    }
}

/// The fixed input `speed` removed.
mod m_no_speed {
    use crate::base::PortBlock;
    use orch_core::product;

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub port: PortBlock,
    }
}

/// `speed` renamed to `bandwidth`, declared on the model.
mod m_bandwidth_declared {
    use crate::base::{PortBlock, Speed};
    use orch_core::product;

    #[product(product_type = "Port", imported)]
    pub struct Port {
        #[renamed_from = "speed"]
        pub bandwidth: Speed,
        pub port: PortBlock,
    }
}

/// `speed` replaced by `bandwidth`, undeclared: the answers say what it is.
mod m_bandwidth {
    use crate::base::{PortBlock, Speed};
    use orch_core::product;

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub bandwidth: Speed,
        pub port: PortBlock,
    }
}

/// A new optional root block with a new child block.
mod m_extra {
    use crate::base::{PortBlock, Speed};
    use orch_core::{product, product_block};

    #[product_block(name = "InnerBlock")]
    pub struct InnerBlock {
        pub code: i64,
    }

    #[product_block(name = "ExtraBlock")]
    pub struct ExtraBlock {
        pub note: String,
        pub inner: InnerBlock,
    }

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub speed: Speed,
        pub port: PortBlock,
        pub extra: Option<ExtraBlock>,
    }
}

/// An existing block becomes a second root block of `Lag`.
mod m_lag_spare {
    use crate::base::{LagBlock, PortBlock};
    use orch_core::product;

    #[product(product_type = "Lag", imported)]
    pub struct Lag {
        pub lag: LagBlock,
        pub spare: Option<PortBlock>,
    }
}

/// `PortBlock` uses the existing `VlanBlock`, optionally.
mod m_port_vlan {
    use crate::base::VlanBlock;
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub mtu: i64,
        pub vlan: Option<VlanBlock>,
    }

    users_of_port_block!();
}

/// Other bounds on `LagBlock.members`.
mod m_bounds {
    use crate::base::PortBlock;
    use orch_core::{product, product_block};

    #[product_block(name = "LagBlock")]
    pub struct LagBlock {
        pub alias: String,
        #[items(min = 1, max = 4)]
        pub members: Vec<PortBlock>,
    }

    #[product(product_type = "Lag", imported)]
    pub struct Lag {
        pub lag: LagBlock,
    }
}

/// New resource types on `PortBlock`: a required one, an optional one and a list.
mod m_rt_create {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub mtu: i64,
        pub speed_mbps: i64,
        pub note: Option<String>,
        pub tags: Vec<String>,
    }

    users_of_port_block!();
}

/// New resource types required from a later lifecycle: `speed_mbps` from active, `duplex` from
/// provisioning.
mod m_rt_lifecycle {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub mtu: i64,
        #[required_from(active)]
        pub speed_mbps: i64,
        #[required_from(provisioning)]
        pub duplex: String,
    }

    users_of_port_block!();
}

/// The existing resource type `alias` added to `VlanBlock`.
mod m_vlan_alias {
    use orch_core::{product, product_block};

    #[product_block(name = "VlanBlock")]
    pub struct VlanBlock {
        pub vid: i64,
        pub alias: String,
    }

    #[product(product_type = "Vlan", imported)]
    pub struct Vlan {
        pub vlan: VlanBlock,
    }
}

/// `mtu` removed from `PortBlock`, its only block.
mod m_no_mtu {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
    }

    users_of_port_block!();
}

/// `alias` removed from `PortBlock`; `LagBlock` keeps it.
mod m_no_port_alias {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub mtu: i64,
    }

    users_of_port_block!();
}

/// `mtu`, used by `PortBlock` only, renamed to `max_frame`: a global rename.
mod m_max_frame {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        #[renamed_from = "mtu"]
        pub max_frame: i64,
    }

    users_of_port_block!();
}

/// `alias` of `PortBlock` renamed to `port_name` while `LagBlock` keeps `alias`: a per-block
/// replacement.
mod m_port_name {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        #[renamed_from = "alias"]
        pub port_name: String,
        pub mtu: i64,
    }

    users_of_port_block!();
}

/// `alias`, on `PortBlock` and `LagBlock`, renamed to a different name on each.
mod m_two_aliases {
    use orch_core::{product, product_block};

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        #[renamed_from = "alias"]
        pub port_alias: String,
        pub mtu: i64,
    }

    #[product_block(name = "LagBlock")]
    pub struct LagBlock {
        #[renamed_from = "alias"]
        pub lag_alias: String,
        #[items(min = 2, max = 8)]
        pub members: Vec<PortBlock>,
    }

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub speed: crate::base::Speed,
        pub port: PortBlock,
    }

    #[product(product_type = "Lag", imported)]
    pub struct Lag {
        pub lag: LagBlock,
    }
}

/// The block field `LagBlock.members` renamed to `ports`.
mod m_lag_ports {
    use crate::base::PortBlock;
    use orch_core::{product, product_block};

    #[product_block(name = "LagBlock")]
    pub struct LagBlock {
        pub alias: String,
        #[renamed_from = "members"]
        #[items(min = 2, max = 8)]
        pub ports: Vec<PortBlock>,
    }

    #[product(product_type = "Lag", imported)]
    pub struct Lag {
        pub lag: LagBlock,
    }
}

/// A new required root block on `Port`.
mod m_stats {
    use crate::base::{PortBlock, Speed};
    use orch_core::{product, product_block};

    #[product_block(name = "StatsBlock")]
    pub struct StatsBlock {
        pub counter: i64,
        pub note: Option<String>,
    }

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub speed: Speed,
        pub port: PortBlock,
        pub stats: StatsBlock,
    }
}

/// `PortBlock` requires a `VlanBlock` child.
mod m_port_requires_vlan {
    use crate::base::VlanBlock;
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub mtu: i64,
        pub vlan: VlanBlock,
    }

    users_of_port_block!();
}

/// A new required root block `ABlock` that requires a new `BBlock`.
mod m_nested {
    use crate::base::{PortBlock, Speed};
    use orch_core::{product, product_block};

    #[product_block(name = "BBlock")]
    pub struct BBlock {
        pub n: i64,
    }

    #[product_block(name = "ABlock")]
    pub struct ABlock {
        pub title: String,
        pub b: BBlock,
    }

    #[product(product_type = "Port", imported)]
    pub struct Port {
        pub speed: Speed,
        pub port: PortBlock,
        pub a: ABlock,
    }
}

/// `PortBlock` requires at least two `VlanBlock` children.
mod m_port_vlans {
    use crate::base::VlanBlock;
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub mtu: i64,
        #[items(min = 2)]
        pub vlans: Vec<VlanBlock>,
    }

    users_of_port_block!();
}

/// `PortBlock`, which `Lag` subscriptions already hold as members, becomes a required root
/// block of `Lag` too.
mod m_lag_primary {
    use crate::base::{LagBlock, PortBlock};
    use orch_core::product;

    #[product(product_type = "Lag", imported)]
    pub struct Lag {
        pub lag: LagBlock,
        pub primary: PortBlock,
    }
}

/// `mtu` replaced by `max_frame` without `#[renamed_from]`: the answers say what it is.
mod m_max_frame_undeclared {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub max_frame: i64,
    }

    users_of_port_block!();
}

/// `mtu` replaced by `vid`, a resource type `VlanBlock` already has.
mod m_port_vid {
    use orch_core::product_block;

    #[product_block(name = "PortBlock")]
    pub struct PortBlock {
        pub alias: String,
        pub vid: i64,
    }

    users_of_port_block!();
}

/// A small catalogue of its own for text that is hard to quote.
mod m_note_v1 {
    use orch_core::{product, product_block};

    #[product_block(name = "Note \"block\" it's :b ✓")]
    pub struct NoteBlock {
        pub text: String,
    }

    #[product(product_type = "Note", imported)]
    pub struct Note {
        pub memo: NoteBlock,
    }
}

/// Version 2 of the text catalogue: a text fixed input and a new required text resource type.
mod m_note_v2 {
    use orch_core::{product, product_block};

    #[product_block(name = "Note \"block\" it's :b ✓")]
    pub struct NoteBlock {
        pub text: String,
        pub comment: String,
    }

    #[product(product_type = "Note", imported)]
    pub struct Note {
        pub remark: String,
        pub memo: NoteBlock,
    }
}

type Descriptor = &'static ProductTypeDescriptor;

fn d<P: Product>() -> Descriptor {
    P::descriptor()
}

/// The four products with the given product types.
fn products(port: Descriptor, lag: Descriptor, vlan: Descriptor) -> Registry {
    registry(&[
        ("port 10G", port),
        ("port 1G", port),
        ("lag", lag),
        ("vlan", vlan),
    ])
}

fn base_registry() -> Registry {
    products(d::<base::Port>(), d::<base::Lag>(), d::<base::Vlan>())
}

const BASE_ANSWERS: &str = r#"
[products."port 10G"]
description = "10G port"
tag = "P10G"
fixed_inputs = { speed = "10G" }

[products."port 1G"]
description = "1G port"
tag = "P1G"
fixed_inputs = { speed = "1G" }

[products.lag]
description = "link aggregation"
tag = "LAG"

[products.vlan]
description = "a vlan"
tag = "VLAN"

[product_blocks.PortBlock]
description = "a port"
tag = "PB"

[product_blocks.LagBlock]
description = "a lag"
tag = "LB"

[product_blocks.VlanBlock]
description = "a vlan"
tag = "VB"

[resource_types]
alias = "an alias"
mtu = "maximum transmission unit"
vid = "vlan id"
"#;

// ---------------------------------------------------------------------------------------------
// Reading and writing rows
// ---------------------------------------------------------------------------------------------

/// Whether a test runs on a database with subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    Empty,
    Subscriptions,
}

/// The rows of `sql`, each as an array of its columns (text, integer or null), sorted.
async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<Value> {
    let found = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out: Vec<Value> = found
        .iter()
        .map(|r| {
            Value::Array(
                r.column_names()
                    .iter()
                    .map(|c| {
                        if let Ok(s) = r.try_get::<Option<String>>("", c) {
                            json!(s)
                        } else if let Ok(n) = r.try_get::<Option<i32>>("", c) {
                            json!(n)
                        } else {
                            json!(r.try_get::<Option<i64>>("", c).expect(c))
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    sort_rows(&mut out);
    out
}

fn sort_rows(rows: &mut [Value]) {
    rows.sort_by_key(|v| serde_json::to_string(v).unwrap());
}

async fn count(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a count");
    row.try_get_by_index::<i64>(0).expect("a count")
}

/// The subscription data by names: subscriptions, instances (by label), values, relations and
/// processes. Equal on every backend for the same data, and free of ids.
async fn state(conn: &DatabaseConnection) -> Value {
    json!({
        "subscriptions": rows(conn,
            "SELECT s.description AS sub, p.name AS product FROM subscriptions s \
             JOIN products p ON p.product_id = s.product_id").await,
        "instances": rows(conn,
            "SELECT s.description AS sub, b.name AS block, i.label AS label \
             FROM subscription_instances i \
             JOIN subscriptions s ON s.subscription_id = i.subscription_id \
             JOIN product_blocks b ON b.product_block_id = i.product_block_id").await,
        "values": rows(conn,
            "SELECT s.description AS sub, i.label AS instance, b.name AS block, \
             t.resource_type AS rt, v.value AS value FROM subscription_instance_values v \
             JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id \
             JOIN subscriptions s ON s.subscription_id = i.subscription_id \
             JOIN product_blocks b ON b.product_block_id = i.product_block_id \
             JOIN resource_types t ON t.resource_type_id = v.resource_type_id").await,
        "relations": rows(conn,
            "SELECT ps.description AS sub, p.label AS parent, pb.name AS parent_block, \
             r.domain_model_attr AS attr, r.order_id AS ord, cs.description AS child_sub, \
             c.label AS child, cb.name AS child_block FROM subscription_instance_relations r \
             JOIN subscription_instances p ON p.subscription_instance_id = r.in_use_by_id \
             JOIN subscriptions ps ON ps.subscription_id = p.subscription_id \
             JOIN product_blocks pb ON pb.product_block_id = p.product_block_id \
             JOIN subscription_instances c ON c.subscription_instance_id = r.depends_on_id \
             JOIN subscriptions cs ON cs.subscription_id = c.subscription_id \
             JOIN product_blocks cb ON cb.product_block_id = c.product_block_id").await,
        "processes": rows(conn, "SELECT note FROM processes").await,
        "process_links": rows(conn,
            "SELECT p.note AS process, s.description AS sub FROM processes_subscriptions x \
             JOIN processes p ON p.pid = x.pid \
             JOIN subscriptions s ON s.subscription_id = x.subscription_id").await,
    })
}

fn table<'a>(v: &'a mut Value, table: &str) -> &'a mut Vec<Value> {
    v[table]
        .as_array_mut()
        .unwrap_or_else(|| panic!("no table {table}"))
}

/// Adds a row to a table of [`metadata`] or [`state`].
fn add(v: &mut Value, name: &str, row: Value) {
    let t = table(v, name);
    t.push(row);
    sort_rows(t);
}

/// Removes a row, which must be there.
fn remove(v: &mut Value, name: &str, row: Value) {
    let t = table(v, name);
    let i = t
        .iter()
        .position(|r| r == &row)
        .unwrap_or_else(|| panic!("{row} is not in {name}"));
    t.remove(i);
}

/// Keeps the rows for which `keep` holds.
fn retain(v: &mut Value, name: &str, keep: impl Fn(&Value) -> bool) {
    table(v, name).retain(|r| keep(r));
}

/// Replaces every row `from` by `to`.
fn replace(v: &mut Value, name: &str, map: impl Fn(&Value) -> Value) {
    let t = table(v, name);
    for r in t.iter_mut() {
        *r = map(r);
    }
    sort_rows(t);
}

async fn product_id(conn: &DatabaseConnection, name: &str) -> Uuid {
    products::Entity::find()
        .filter(products::Column::Name.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no product {name}"))
        .product_id
}

async fn block_id(conn: &DatabaseConnection, name: &str) -> Uuid {
    use orch_core::entity::product_blocks;
    product_blocks::Entity::find()
        .filter(product_blocks::Column::Name.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no block {name}"))
        .product_block_id
}

async fn resource_type_id(conn: &DatabaseConnection, name: &str) -> Uuid {
    resource_types::Entity::find()
        .filter(resource_types::Column::ResourceType.eq(name))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no resource type {name}"))
        .resource_type_id
}

async fn subscription_id(conn: &DatabaseConnection, description: &str) -> Uuid {
    subscriptions::Entity::find()
        .filter(subscriptions::Column::Description.eq(description))
        .one(conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no subscription {description}"))
        .subscription_id
}

/// A subscription on `product`, named by its description.
async fn subscribe(conn: &DatabaseConnection, product: &str, description: &str) -> Uuid {
    subscriptions::ActiveModel {
        subscription_id: Set(Uuid::new_v4()),
        description: Set(description.into()),
        status: Set("active".into()),
        product_id: Set(product_id(conn, product).await),
        customer_id: Set("customer".into()),
        insync: Set(true),
        ..Default::default()
    }
    .insert(conn)
    .await
    .unwrap()
    .subscription_id
}

/// An instance of `block` in `subscription`, named by its label.
async fn instance(conn: &DatabaseConnection, subscription: Uuid, block: &str, label: &str) -> Uuid {
    subscription_instances::ActiveModel {
        subscription_instance_id: Set(Uuid::new_v4()),
        subscription_id: Set(subscription),
        product_block_id: Set(block_id(conn, block).await),
        label: Set(Some(label.into())),
    }
    .insert(conn)
    .await
    .unwrap()
    .subscription_instance_id
}

async fn value(conn: &DatabaseConnection, instance: Uuid, resource_type: &str, value: &str) {
    subscription_instance_values::ActiveModel {
        subscription_instance_value_id: Set(Uuid::new_v4()),
        subscription_instance_id: Set(instance),
        resource_type_id: Set(resource_type_id(conn, resource_type).await),
        value: Set(value.into()),
    }
    .insert(conn)
    .await
    .unwrap();
}

async fn relate(conn: &DatabaseConnection, parent: Uuid, child: Uuid, attr: &str, order: i32) {
    subscription_instance_relations::ActiveModel {
        in_use_by_id: Set(parent),
        depends_on_id: Set(child),
        order_id: Set(order),
        domain_model_attr: Set(Some(attr.into())),
    }
    .insert(conn)
    .await
    .unwrap();
}

/// A process named by its note, linked to `subscriptions`.
async fn process(conn: &DatabaseConnection, note: &str, subscriptions: &[Uuid]) {
    let workflow = workflows::ActiveModel {
        workflow_id: Set(Uuid::new_v4()),
        name: Set(format!("workflow for {note}")),
        target: Set("MODIFY".into()),
        description: Set("a workflow".into()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .unwrap();
    let pid = processes::ActiveModel {
        pid: Set(Uuid::new_v4()),
        last_status: Set("completed".into()),
        workflow_id: Set(workflow.workflow_id),
        note: Set(Some(note.into())),
        ..Default::default()
    }
    .insert(conn)
    .await
    .unwrap()
    .pid;
    for s in subscriptions {
        processes_subscriptions::ActiveModel {
            id: Set(Uuid::new_v4()),
            pid: Set(pid),
            subscription_id: Set(*s),
            ..Default::default()
        }
        .insert(conn)
        .await
        .unwrap();
    }
}

/// A port subscription with its `PortBlock` instance (alias and mtu values).
async fn port_subscription(conn: &DatabaseConnection, product: &str, name: &str) -> Uuid {
    let s = subscribe(conn, product, &format!("sub {name}")).await;
    let i = instance(conn, s, "PortBlock", name).await;
    value(conn, i, "alias", name).await;
    value(conn, i, "mtu", "1500").await;
    s
}

/// The subscriptions of the `Subscriptions` tests: one per product, a lag with two member
/// ports, and two processes, one of which also ran on another product's subscription.
async fn seed(conn: &DatabaseConnection) {
    let p10 = port_subscription(conn, "port 10G", "p10").await;
    let p1 = port_subscription(conn, "port 1G", "p1").await;
    let lag = subscribe(conn, "lag", "sub lag").await;
    let l = instance(conn, lag, "LagBlock", "lag").await;
    value(conn, l, "alias", "lag").await;
    for n in 0..2 {
        let name = format!("m{n}");
        let m = instance(conn, lag, "PortBlock", &name).await;
        value(conn, m, "alias", &name).await;
        value(conn, m, "mtu", "9000").await;
        relate(conn, l, m, "members", n).await;
    }
    let vlan = subscribe(conn, "vlan", "sub vlan").await;
    let v = instance(conn, vlan, "VlanBlock", "v100").await;
    value(conn, v, "vid", "100").await;
    process(conn, "only p1", &[p1]).await;
    process(conn, "p1 and p10", &[p1, p10]).await;
}

// ---------------------------------------------------------------------------------------------
// The steps every test takes
// ---------------------------------------------------------------------------------------------

/// A database at the base catalogue, with the metadata and data it holds.
struct Fixture {
    db: TestDb,
    data: Data,
    /// [`metadata`] at the start.
    meta: Value,
    /// [`state`] at the start.
    state: Value,
}

impl Fixture {
    fn conn(&self) -> &DatabaseConnection {
        &self.db.conn
    }

    fn subscribed(&self) -> bool {
        self.data == Data::Subscriptions
    }
}

/// The base catalogue migrated, and seeded for `Data::Subscriptions`; `None` when the backend
/// is not reachable.
async fn fixture(backend: Backend, data: Data) -> Option<Fixture> {
    let db = TestDb::new(backend).await?;
    core_schema(&db.conn).await;
    migrate(&db.conn, &base_registry(), BASE_ANSWERS)
        .await
        .unwrap();
    if data == Data::Subscriptions {
        seed(&db.conn).await;
    }
    Some(Fixture {
        meta: metadata(&db.conn).await,
        state: state(&db.conn).await,
        db,
        data,
    })
}

/// Plans `to` with `answers`, applies the upgrade, and checks that generating again finds
/// nothing to do.
async fn upgrade(conn: &DatabaseConnection, to: &Registry, answers: &str) -> (Changes, Plan) {
    let (changes, plan) = plan(conn, to, answers).await.unwrap();
    assert!(!changes.is_empty(), "the change is detected");
    apply(conn, &plan.up).await.unwrap();
    assert_nothing_to_do(conn, to, answers).await;
    (changes, plan)
}

async fn assert_nothing_to_do(conn: &DatabaseConnection, to: &Registry, answers: &str) {
    let (again, p) = plan(conn, to, answers).await.unwrap();
    assert!(
        again.is_empty(),
        "nothing to do after the upgrade: {again:?}"
    );
    assert_eq!(p, Plan::default());
}

/// Applies the downgrade and checks that the metadata is back at the start.
async fn downgrade(fx: &Fixture, plan: &Plan) {
    apply(fx.conn(), &plan.down).await.unwrap();
    assert_eq!(
        metadata(fx.conn()).await,
        fx.meta,
        "down restores the metadata"
    );
}

/// The error of planning `to` with `answers`.
async fn plan_error(conn: &DatabaseConnection, to: &Registry, answers: &str) -> anyhow::Error {
    match plan(conn, to, answers).await {
        Ok((changes, _)) => panic!("expected an error, planned {changes:?}"),
        Err(e) => e,
    }
}

fn has_backfills(plan: &Plan) -> bool {
    plan.up.iter().any(|op| {
        matches!(
            op,
            Op::BackfillValue { .. }
                | Op::BackfillRootInstances { .. }
                | Op::BackfillChildInstances { .. }
        )
    })
}

fn rel(min: Option<i32>, max: Option<i32>) -> Relation {
    Relation { min, max }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// One test per backend, each without and with subscriptions.
macro_rules! with_and_without_subscriptions {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::{Backend, Data};
            #[tokio::test]
            async fn sqlite_empty() {
                super::$name(Backend::Sqlite, Data::Empty).await
            }
            #[tokio::test]
            async fn sqlite_subscriptions() {
                super::$name(Backend::Sqlite, Data::Subscriptions).await
            }
            #[tokio::test]
            async fn postgres_empty() {
                super::$name(Backend::Postgres, Data::Empty).await
            }
            #[tokio::test]
            async fn postgres_subscriptions() {
                super::$name(Backend::Postgres, Data::Subscriptions).await
            }
            #[tokio::test]
            async fn mariadb_empty() {
                super::$name(Backend::MySql, Data::Empty).await
            }
            #[tokio::test]
            async fn mariadb_subscriptions() {
                super::$name(Backend::MySql, Data::Subscriptions).await
            }
        }
    )*};
}

// ---------------------------------------------------------------------------------------------
// The base catalogue itself
// ---------------------------------------------------------------------------------------------

async fn base_catalogue(backend: Backend) {
    let Some(fx) = fixture(backend, Data::Subscriptions).await else {
        return;
    };
    assert_eq!(
        fx.meta["product_block_relations"],
        json!([["LagBlock", "PortBlock", 2, 8]]),
        "#[items(min = 2, max = 8)] gives the relation its bounds"
    );
    assert_eq!(
        fx.meta["fixed_inputs"],
        json!([["port 10G", "speed", "10G"], ["port 1G", "speed", "1G"]])
    );
    assert_eq!(fx.state["instances"].as_array().unwrap().len(), 6);
    assert_eq!(fx.state["values"].as_array().unwrap().len(), 10);
    assert_nothing_to_do(fx.conn(), &base_registry(), "").await;
}

tests::per_backend!(base_catalogue);

// ---------------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------------

/// A new product of an existing type and a new product type with a new block.
async fn create_product(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = registry(&[
        ("port 10G", d::<base::Port>()),
        ("port 1G", d::<base::Port>()),
        ("port 100G", d::<base::Port>()),
        ("lag", d::<base::Lag>()),
        ("vlan", d::<base::Vlan>()),
        ("switch", d::<m_switch::Switch>()),
    ]);
    let answers = r#"
        [products."port 100G"]
        description = "100G port"
        tag = "P100G"
        status = "pre production"
        fixed_inputs = { speed = "100G" }
        [products.switch]
        description = "a switch"
        tag = "SW"
        [product_blocks.SwitchBlock]
        description = "a switch"
        tag = "SWB"
        [resource_types]
        hostname = "a host name"
    "#;
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(changes.create_products, names(&["port 100G", "switch"]));
    assert_eq!(
        changes.create_fixed_inputs,
        pairs(&[("port 100G", "speed")])
    );
    assert_eq!(changes.create_blocks, names(&["SwitchBlock"]));
    assert_eq!(changes.create_resource_types, names(&["hostname"]));
    assert_eq!(
        changes.link_product_blocks,
        pairs(&[("port 100G", "PortBlock"), ("switch", "SwitchBlock")])
    );
    assert_eq!(
        changes.link_block_relations,
        vec![(
            "SwitchBlock".into(),
            "PortBlock".into(),
            rel(Some(1), Some(48))
        )]
    );
    assert!(!has_backfills(&plan));

    let mut expected = fx.meta.clone();
    expected["products"]["port 100G"] = json!({
        "description": "100G port", "product_type": "Port", "tag": "P100G", "status": "pre production",
    });
    expected["products"]["switch"] = json!({
        "description": "a switch", "product_type": "Switch", "tag": "SW", "status": "active",
    });
    expected["product_blocks"]["SwitchBlock"] =
        json!({"description": "a switch", "tag": "SWB", "status": "active"});
    expected["resource_types"]["hostname"] = json!("a host name");
    add(
        &mut expected,
        "fixed_inputs",
        json!(["port 100G", "speed", "100G"]),
    );
    add(
        &mut expected,
        "product_product_blocks",
        json!(["port 100G", "PortBlock"]),
    );
    add(
        &mut expected,
        "product_product_blocks",
        json!(["switch", "SwitchBlock"]),
    );
    add(
        &mut expected,
        "product_block_relations",
        json!(["SwitchBlock", "PortBlock", 1, 48]),
    );
    add(
        &mut expected,
        "product_block_resource_types",
        json!(["SwitchBlock", "hostname"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state, "subscriptions untouched");

    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

/// A product no longer registered is deleted; with subscriptions only when confirmed, and then
/// with its subscriptions and the processes that ran on them alone.
async fn delete_product(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = registry(&[
        ("port 10G", d::<base::Port>()),
        ("lag", d::<base::Lag>()),
        ("vlan", d::<base::Vlan>()),
    ]);
    let answers = if fx.subscribed() {
        let e = plan_error(fx.conn(), &to, "").await.to_string();
        assert!(
            e.contains(r#"confirm.delete_products."port 1G""#),
            "asks for confirmation: {e}"
        );
        let e = plan_error(
            fx.conn(),
            &to,
            "[confirm.delete_products]\n\"port 1G\" = false",
        )
        .await;
        assert!(
            matches!(
                e.downcast_ref::<PlanError>(),
                Some(PlanError::Refused { .. })
            ),
            "refused: {e}"
        );
        assert_eq!(state(fx.conn()).await, fx.state, "nothing changed");
        "[confirm.delete_products]\n\"port 1G\" = true"
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(changes.delete_products, names(&["port 1G"]));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(plan.data_loss.len(), usize::from(fx.subscribed()));

    let mut expected = fx.meta.clone();
    expected["products"]
        .as_object_mut()
        .unwrap()
        .remove("port 1G");
    remove(
        &mut expected,
        "fixed_inputs",
        json!(["port 1G", "speed", "1G"]),
    );
    remove(
        &mut expected,
        "product_product_blocks",
        json!(["port 1G", "PortBlock"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);

    let mut after = fx.state.clone();
    for t in ["subscriptions", "instances", "values", "relations"] {
        retain(&mut after, t, |r| r[0] != "sub p1");
    }
    retain(&mut after, "process_links", |r| r[1] != "sub p1");
    retain(&mut after, "processes", |r| r[0] != "only p1");
    assert_eq!(state(fx.conn()).await, after);
    if fx.subscribed() {
        assert_eq!(
            after["processes"],
            json!([["p1 and p10"]]),
            "a process that also ran on another product's subscription is kept"
        );
        assert_eq!(after["process_links"], json!([["p1 and p10", "sub p10"]]));
    }

    downgrade(&fx, &plan).await;
    assert_eq!(
        state(fx.conn()).await,
        after,
        "down restores the product, not its subscriptions"
    );
}

/// A registered name whose product type changed.
async fn product_type_change(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = registry(&[
        ("port 10G", d::<m_fast_port::FastPort>()),
        ("port 1G", d::<base::Port>()),
        ("lag", d::<base::Lag>()),
        ("vlan", d::<base::Vlan>()),
    ]);
    let (changes, plan) = upgrade(fx.conn(), &to, "").await;
    assert_eq!(
        changes.set_product_types,
        pairs(&[("port 10G", "FastPort")])
    );
    assert_eq!(changes.len(), 1, "{changes:?}");
    let mut expected = fx.meta.clone();
    expected["products"]["port 10G"]["product_type"] = json!("FastPort");
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
}

with_and_without_subscriptions!(create_product, delete_product, product_type_change);

// ---------------------------------------------------------------------------------------------
// Fixed inputs
// ---------------------------------------------------------------------------------------------

fn duplex_registry() -> Registry {
    products(d::<m_duplex::Port>(), d::<base::Lag>(), d::<base::Vlan>())
}

/// A new fixed input: its value is asked per product and checked against its type.
async fn fixed_input_create(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = duplex_registry();
    let e = plan_error(fx.conn(), &to, "").await.to_string();
    assert!(
        e.contains(r#"products."port 10G".fixed_inputs.duplex"#)
            && e.contains(r#"products."port 1G".fixed_inputs.duplex"#),
        "{e}"
    );
    let wrong = r#"
        [products."port 10G".fixed_inputs]
        duplex = "quarter"
        [products."port 1G".fixed_inputs]
        duplex = "half"
    "#;
    let e = plan_error(fx.conn(), &to, wrong).await;
    let problems = &e
        .downcast_ref::<AnswersError>()
        .expect("an answers error")
        .problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("quarter") && problems[0].contains("half, full"),
        "{problems:?}"
    );
    let answers = r#"
        [products."port 10G".fixed_inputs]
        duplex = "full"
        [products."port 1G".fixed_inputs]
        duplex = "half"
    "#;
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.create_fixed_inputs,
        pairs(&[("port 10G", "duplex"), ("port 1G", "duplex")])
    );
    assert_eq!(changes.len(), 2);
    let mut expected = fx.meta.clone();
    add(
        &mut expected,
        "fixed_inputs",
        json!(["port 10G", "duplex", "full"]),
    );
    add(
        &mut expected,
        "fixed_inputs",
        json!(["port 1G", "duplex", "half"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
}

/// A fixed input no longer on the model; down restores its values.
async fn fixed_input_delete(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(d::<m_no_speed::Port>(), d::<base::Lag>(), d::<base::Vlan>());
    let (changes, plan) = upgrade(fx.conn(), &to, "").await;
    assert_eq!(
        changes.delete_fixed_inputs,
        pairs(&[("port 10G", "speed"), ("port 1G", "speed")])
    );
    assert_eq!(changes.len(), 2);
    let mut expected = fx.meta.clone();
    table(&mut expected, "fixed_inputs").clear();
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
}

async fn fixed_input_ids(conn: &DatabaseConnection) -> Vec<(String, String, Uuid)> {
    let mut out = Vec::new();
    for f in fixed_inputs::Entity::find().all(conn).await.unwrap() {
        let product = products::Entity::find_by_id(f.product_id)
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        out.push((product.name, f.name, f.fixed_input_id));
    }
    out.sort();
    out
}

/// `#[renamed_from = "speed"]`: the rows are renamed, values and ids kept.
async fn fixed_input_rename_declared(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let before = fixed_input_ids(fx.conn()).await;
    let to = products(
        d::<m_bandwidth_declared::Port>(),
        d::<base::Lag>(),
        d::<base::Vlan>(),
    );
    let (changes, plan) = upgrade(fx.conn(), &to, "").await;
    assert_eq!(
        changes.rename_fixed_inputs,
        vec![
            ("port 10G".into(), "speed".into(), "bandwidth".into()),
            ("port 1G".into(), "speed".into(), "bandwidth".into()),
        ]
    );
    assert_eq!(changes.len(), 2);
    let after = fixed_input_ids(fx.conn()).await;
    let renamed: Vec<_> = before
        .iter()
        .map(|(p, _, id)| (p.clone(), "bandwidth".to_owned(), *id))
        .collect();
    assert_eq!(after, renamed, "same rows, new name");
    let mut expected = fx.meta.clone();
    replace(&mut expected, "fixed_inputs", |r| {
        json!([r[0], "bandwidth", r[2]])
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
    assert_eq!(fixed_input_ids(fx.conn()).await, before);
}

/// An undeclared rename is asked per product: `"bandwidth"` renames, `false` deletes and
/// creates (with a new value).
async fn fixed_input_rename_answered(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let before = fixed_input_ids(fx.conn()).await;
    let to = products(
        d::<m_bandwidth::Port>(),
        d::<base::Lag>(),
        d::<base::Vlan>(),
    );
    let e = plan_error(fx.conn(), &to, "").await.to_string();
    assert!(
        e.contains(r#"renames.fixed_inputs."port 10G".speed"#)
            && e.contains(r#"renames.fixed_inputs."port 1G".speed"#),
        "{e}"
    );
    let answers = r#"
        [renames.fixed_inputs."port 10G"]
        speed = "bandwidth"
        [renames.fixed_inputs."port 1G"]
        speed = false
        [products."port 1G".fixed_inputs]
        bandwidth = "100G"
    "#;
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.rename_fixed_inputs,
        vec![("port 10G".into(), "speed".into(), "bandwidth".into())]
    );
    assert_eq!(
        changes.create_fixed_inputs,
        pairs(&[("port 1G", "bandwidth")])
    );
    assert_eq!(changes.delete_fixed_inputs, pairs(&[("port 1G", "speed")]));
    assert_eq!(changes.len(), 3);
    let after = fixed_input_ids(fx.conn()).await;
    assert_eq!(
        after[0],
        ("port 10G".into(), "bandwidth".into(), before[0].2)
    );
    assert_eq!((&after[1].0[..], &after[1].1[..]), ("port 1G", "bandwidth"));
    assert_ne!(after[1].2, before[1].2, "a new row");
    let mut expected = fx.meta.clone();
    *table(&mut expected, "fixed_inputs") = vec![
        json!(["port 10G", "bandwidth", "10G"]),
        json!(["port 1G", "bandwidth", "100G"]),
    ];
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
}

with_and_without_subscriptions!(
    fixed_input_create,
    fixed_input_delete,
    fixed_input_rename_declared,
    fixed_input_rename_answered
);

// ---------------------------------------------------------------------------------------------
// Product blocks and their relations
// ---------------------------------------------------------------------------------------------

const EXTRA_ANSWERS: &str = r#"
[product_blocks.ExtraBlock]
description = "extra things"
tag = "XB"
[product_blocks.InnerBlock]
description = "inner things"
tag = "IB"
[resource_types]
note = "a note"
code = "a code"
"#;

fn extra_registry() -> Registry {
    products(d::<m_extra::Port>(), d::<base::Lag>(), d::<base::Vlan>())
}

/// A new root block (optional, so existing subscriptions get no instance) with a new child.
async fn block_create(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let (changes, plan) = upgrade(fx.conn(), &extra_registry(), EXTRA_ANSWERS).await;
    assert_eq!(changes.create_blocks, names(&["ExtraBlock", "InnerBlock"]));
    assert_eq!(changes.create_resource_types, names(&["code", "note"]));
    assert_eq!(
        changes.link_product_blocks,
        pairs(&[("port 10G", "ExtraBlock"), ("port 1G", "ExtraBlock")])
    );
    assert_eq!(
        changes.link_block_relations,
        vec![("ExtraBlock".into(), "InnerBlock".into(), rel(None, None))]
    );
    assert_eq!(
        changes.link_resource_types,
        pairs(&[("ExtraBlock", "note"), ("InnerBlock", "code")])
    );
    assert!(!has_backfills(&plan), "an optional block is not created");
    let mut expected = fx.meta.clone();
    expected["product_blocks"]["ExtraBlock"] =
        json!({"description": "extra things", "tag": "XB", "status": "active"});
    expected["product_blocks"]["InnerBlock"] =
        json!({"description": "inner things", "tag": "IB", "status": "active"});
    expected["resource_types"]["note"] = json!("a note");
    expected["resource_types"]["code"] = json!("a code");
    for p in ["port 10G", "port 1G"] {
        add(
            &mut expected,
            "product_product_blocks",
            json!([p, "ExtraBlock"]),
        );
    }
    add(
        &mut expected,
        "product_block_relations",
        json!(["ExtraBlock", "InnerBlock", null, null]),
    );
    add(
        &mut expected,
        "product_block_resource_types",
        json!(["ExtraBlock", "note"]),
    );
    add(
        &mut expected,
        "product_block_resource_types",
        json!(["InnerBlock", "code"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

/// Blocks no product reaches any more are deleted; with instances only when confirmed.
async fn block_delete(backend: Backend, data: Data) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    core_schema(&db.conn).await;
    migrate(&db.conn, &base_registry(), BASE_ANSWERS)
        .await
        .unwrap();
    migrate(&db.conn, &extra_registry(), EXTRA_ANSWERS)
        .await
        .unwrap();
    if data == Data::Subscriptions {
        seed(&db.conn).await;
        let s = subscription_id(&db.conn, "sub p10").await;
        let x = instance(&db.conn, s, "ExtraBlock", "x10").await;
        value(&db.conn, x, "note", "n").await;
        let i = instance(&db.conn, s, "InnerBlock", "in10").await;
        value(&db.conn, i, "code", "7").await;
        relate(&db.conn, x, i, "inner", 0).await;
    }
    let fx = Fixture {
        meta: metadata(&db.conn).await,
        state: state(&db.conn).await,
        db,
        data,
    };
    let to = base_registry();
    let answers = if fx.subscribed() {
        let e = plan_error(fx.conn(), &to, "").await.to_string();
        for key in [
            "confirm.delete_product_blocks.ExtraBlock",
            "confirm.delete_product_blocks.InnerBlock",
            "confirm.delete_resource_types.note",
            "confirm.delete_resource_types.code",
        ] {
            assert!(e.contains(key), "asks {key}: {e}");
        }
        "[confirm]\n\
         delete_product_blocks = { ExtraBlock = true, InnerBlock = true }\n\
         delete_resource_types = { note = true, code = true }"
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(changes.delete_blocks, names(&["ExtraBlock", "InnerBlock"]));
    assert_eq!(changes.delete_resource_types, names(&["code", "note"]));
    assert_eq!(
        changes.unlink_product_blocks,
        pairs(&[("port 10G", "ExtraBlock"), ("port 1G", "ExtraBlock")])
    );
    assert_eq!(changes.len(), 6, "{changes:?}");
    let mut expected = fx.meta.clone();
    for b in ["ExtraBlock", "InnerBlock"] {
        expected["product_blocks"]
            .as_object_mut()
            .unwrap()
            .remove(b);
    }
    for r in ["note", "code"] {
        expected["resource_types"]
            .as_object_mut()
            .unwrap()
            .remove(r);
    }
    retain(&mut expected, "product_product_blocks", |r| {
        r[1] != "ExtraBlock"
    });
    retain(&mut expected, "product_block_relations", |r| {
        r[0] != "ExtraBlock"
    });
    retain(&mut expected, "product_block_resource_types", |r| {
        r[0] != "ExtraBlock" && r[0] != "InnerBlock"
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    retain(&mut after, "instances", |r| r[2] != "x10" && r[2] != "in10");
    retain(&mut after, "values", |r| r[1] != "x10" && r[1] != "in10");
    retain(&mut after, "relations", |r| r[1] != "x10");
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, after, "instances are not restored");
}

/// An existing block linked to another product, and unlinked again by the reverse migration.
async fn product_block_link_and_unlink(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let spare = products(
        d::<base::Port>(),
        d::<m_lag_spare::Lag>(),
        d::<base::Vlan>(),
    );
    let (changes, plan) = upgrade(fx.conn(), &spare, "").await;
    assert_eq!(changes.link_product_blocks, pairs(&[("lag", "PortBlock")]));
    assert_eq!(changes.len(), 1);
    assert!(!has_backfills(&plan));
    let mut linked = fx.meta.clone();
    add(
        &mut linked,
        "product_product_blocks",
        json!(["lag", "PortBlock"]),
    );
    assert_eq!(metadata(fx.conn()).await, linked);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;

    apply(fx.conn(), &plan.up).await.unwrap();
    let mut data_before = fx.state.clone();
    if fx.subscribed() {
        let s = subscription_id(fx.conn(), "sub lag").await;
        let i = instance(fx.conn(), s, "PortBlock", "spare").await;
        value(fx.conn(), i, "alias", "spare").await;
        value(fx.conn(), i, "mtu", "1500").await;
        data_before = state(fx.conn()).await;
    }
    let (changes, back) = upgrade(fx.conn(), &base_registry(), "").await;
    assert_eq!(
        changes.unlink_product_blocks,
        pairs(&[("lag", "PortBlock")])
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(metadata(fx.conn()).await, fx.meta);
    assert_eq!(
        state(fx.conn()).await,
        data_before,
        "removing a product->block relation keeps instances (orchestrator-core does the same)"
    );
    apply(fx.conn(), &back.down).await.unwrap();
    assert_eq!(metadata(fx.conn()).await, linked);
}

/// A block->block relation created, then removed by the reverse migration.
async fn block_relation_link_and_unlink(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let with_vlan = products(
        d::<m_port_vlan::Port>(),
        d::<m_port_vlan::Lag>(),
        d::<base::Vlan>(),
    );
    let (changes, plan) = upgrade(fx.conn(), &with_vlan, "").await;
    assert_eq!(
        changes.link_block_relations,
        vec![("PortBlock".into(), "VlanBlock".into(), rel(None, None))]
    );
    assert_eq!(changes.len(), 1);
    assert!(!has_backfills(&plan), "an optional child is not created");
    let mut linked = fx.meta.clone();
    add(
        &mut linked,
        "product_block_relations",
        json!(["PortBlock", "VlanBlock", null, null]),
    );
    assert_eq!(metadata(fx.conn()).await, linked);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;

    apply(fx.conn(), &plan.up).await.unwrap();
    let (changes, back) = upgrade(fx.conn(), &base_registry(), "").await;
    assert_eq!(
        changes.unlink_block_relations,
        pairs(&[("PortBlock", "VlanBlock")])
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(metadata(fx.conn()).await, fx.meta);
    assert_eq!(state(fx.conn()).await, fx.state);
    apply(fx.conn(), &back.down).await.unwrap();
    assert_eq!(metadata(fx.conn()).await, linked);
}

/// `#[items(min, max)]` changed: the relation's bounds follow, and down restores them.
async fn relation_bounds_change(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(d::<base::Port>(), d::<m_bounds::Lag>(), d::<base::Vlan>());
    let (changes, plan) = upgrade(fx.conn(), &to, "").await;
    assert_eq!(
        changes.set_relation_bounds,
        vec![(
            "LagBlock".into(),
            "PortBlock".into(),
            rel(Some(2), Some(8)),
            rel(Some(1), Some(4))
        )]
    );
    assert_eq!(changes.len(), 1);
    let mut expected = fx.meta.clone();
    replace(&mut expected, "product_block_relations", |_| {
        json!(["LagBlock", "PortBlock", 1, 4])
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    assert_eq!(state(fx.conn()).await, fx.state);
    downgrade(&fx, &plan).await;
}

with_and_without_subscriptions!(
    block_create,
    block_delete,
    product_block_link_and_unlink,
    block_relation_link_and_unlink,
    relation_bounds_change
);

// ---------------------------------------------------------------------------------------------
// Resource types
// ---------------------------------------------------------------------------------------------

const RT_CREATE_ANSWERS: &str = r#"
[resource_types]
speed_mbps = "speed in Mbit/s"
note = "a note"
tags = "tags"
"#;

/// New resource types on a block: a required one needs a (typed) default for existing
/// instances, which every instance gets; optional and list ones need none.
async fn resource_type_create(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<m_rt_create::Port>(),
        d::<m_rt_create::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = if fx.subscribed() {
        let e = plan_error(fx.conn(), &to, RT_CREATE_ANSWERS)
            .await
            .to_string();
        assert!(
            e.contains("product_blocks.PortBlock.defaults.speed_mbps"),
            "{e}"
        );
        assert!(
            !e.contains("defaults.note") && !e.contains("defaults.tags"),
            "{e}"
        );
        let wrong = format!(
            "{RT_CREATE_ANSWERS}\n[product_blocks.PortBlock.defaults]\nspeed_mbps = \"fast\""
        );
        let e = plan_error(fx.conn(), &to, &wrong).await;
        let problems = &e
            .downcast_ref::<AnswersError>()
            .expect("an answers error")
            .problems;
        assert!(problems[0].contains("fast"), "{problems:?}");
        format!("{RT_CREATE_ANSWERS}\n[product_blocks.PortBlock.defaults]\nspeed_mbps = 1000")
    } else {
        RT_CREATE_ANSWERS.to_owned()
    };
    let (changes, plan) = upgrade(fx.conn(), &to, &answers).await;
    assert_eq!(
        changes.create_resource_types,
        names(&["note", "speed_mbps", "tags"])
    );
    assert_eq!(
        changes.link_resource_types,
        pairs(&[
            ("PortBlock", "note"),
            ("PortBlock", "speed_mbps"),
            ("PortBlock", "tags")
        ])
    );
    assert_eq!(changes.len(), 6);
    let mut expected = fx.meta.clone();
    for (rt, description) in [
        ("speed_mbps", "speed in Mbit/s"),
        ("note", "a note"),
        ("tags", "tags"),
    ] {
        expected["resource_types"][rt] = json!(description);
        add(
            &mut expected,
            "product_block_resource_types",
            json!(["PortBlock", rt]),
        );
    }
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    for (sub, port) in [
        ("sub p10", "p10"),
        ("sub p1", "p1"),
        ("sub lag", "m0"),
        ("sub lag", "m1"),
    ] {
        if fx.subscribed() {
            add(
                &mut after,
                "values",
                json!([sub, port, "PortBlock", "speed_mbps", "1000"]),
            );
        }
    }
    assert_eq!(state(fx.conn()).await, after);
    let filled = count(
        fx.conn(),
        "SELECT COUNT(*) FROM subscription_instance_values v JOIN resource_types t \
         ON t.resource_type_id = v.resource_type_id WHERE t.resource_type = 'speed_mbps'",
    )
    .await;
    assert_eq!(
        filled,
        if fx.subscribed() { 4 } else { 0 },
        "one per PortBlock instance"
    );
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

/// Defaults for a new optional and a new list resource type, given in the answers file: every
/// existing instance gets the value and the list's elements in their order (they were dropped
/// before: only single-valued fields were filled), and down removes them again.
async fn resource_type_create_optional_and_list_defaults(backend: Backend) {
    let Some(fx) = fixture(backend, Data::Subscriptions).await else {
        return;
    };
    let to = products(
        d::<m_rt_create::Port>(),
        d::<m_rt_create::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = format!(
        "{RT_CREATE_ANSWERS}\n[product_blocks.PortBlock.defaults]\nspeed_mbps = 1000\n\
         note = \"n/a\"\ntags = [\"core\", \"uplink\", \"a\"]\n"
    );
    let (_, plan) = upgrade(fx.conn(), &to, &answers).await;
    assert!(
        plan.up.iter().any(|op| matches!(op, Op::BackfillValues { values, .. } if values == &["core", "uplink", "a"])),
        "{:?}",
        plan.up
    );
    let mut after = fx.state.clone();
    for (sub, port) in [
        ("sub p10", "p10"),
        ("sub p1", "p1"),
        ("sub lag", "m0"),
        ("sub lag", "m1"),
    ] {
        for (rt, value) in [
            ("speed_mbps", "1000"),
            ("note", "n/a"),
            ("tags", "core"),
            ("tags", "uplink"),
            ("tags", "a"),
        ] {
            add(
                &mut after,
                "values",
                json!([sub, port, "PortBlock", rt, value]),
            );
        }
    }
    assert_eq!(state(fx.conn()).await, after);
    // in the order given, as a save writes a list: value ids rise with the position
    let backend_order = fx
        .conn()
        .query_all_raw(Statement::from_string(
            fx.conn().get_database_backend(),
            "SELECT i.label AS label, v.value AS value FROM subscription_instance_values v \
             JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id \
             JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
             WHERE t.resource_type = 'tags' ORDER BY i.label, v.subscription_instance_value_id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "value").unwrap())
        .collect::<Vec<_>>();
    assert_eq!(
        backend_order,
        ["core", "uplink", "a"].repeat(4),
        "each instance's list in the given order"
    );
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

tests::per_backend!(resource_type_create_optional_and_list_defaults);

/// A default for a field required from a later lifecycle goes only to instances of
/// subscriptions in a lifecycle that requires it; a table gives one per lifecycle (others,
/// such as terminated, stay without), and must cover every lifecycle that requires the field.
async fn lifecycle_defaults(backend: Backend) {
    let Some(fx) = fixture(backend, Data::Subscriptions).await else {
        return;
    };
    for (sub, status) in [("sub p10", "provisioning"), ("sub p1", "initial")] {
        fx.conn()
            .execute_raw(Statement::from_sql_and_values(
                fx.conn().get_database_backend(),
                match fx.conn().get_database_backend() {
                    sea_orm::DbBackend::Postgres => {
                        "UPDATE subscriptions SET status = $1 WHERE description = $2"
                    }
                    _ => "UPDATE subscriptions SET status = ? WHERE description = ?",
                },
                [status.into(), sub.into()],
            ))
            .await
            .unwrap();
    }
    let before = state(fx.conn()).await;
    let to = products(
        d::<m_rt_lifecycle::Port>(),
        d::<m_rt_lifecycle::Lag>(),
        d::<base::Vlan>(),
    );
    let descriptions = "[resource_types]\nspeed_mbps = \"speed\"\nduplex = \"duplex\"\n";
    let short = format!(
        "{descriptions}[product_blocks.PortBlock.defaults]\nspeed_mbps = 1000\n\
         duplex = {{ active = \"full\" }}\n"
    );
    let e = plan_error(fx.conn(), &to, &short).await.to_string();
    assert!(
        e.contains("product_blocks.PortBlock.defaults.duplex: the lifecycles provisioning require a value too"),
        "{e}"
    );
    let answers = format!(
        "{descriptions}[product_blocks.PortBlock.defaults]\nspeed_mbps = 1000\n\
         duplex = {{ provisioning = \"full\", active = \"full\", initial = \"half\" }}\n"
    );
    let (_, plan) = upgrade(fx.conn(), &to, &answers).await;
    assert!(
        plan.up.iter().any(
            |op| matches!(op, Op::BackfillValueIn { resource_type, lifecycles, .. }
            if resource_type == "speed_mbps" && lifecycles == &["active"])
        ),
        "{:?}",
        plan.up
    );
    let mut after = before.clone();
    // active: the lag's two ports get both; provisioning: duplex only; initial: the table's
    for (sub, port, rt, value) in [
        ("sub lag", "m0", "speed_mbps", "1000"),
        ("sub lag", "m1", "speed_mbps", "1000"),
        ("sub lag", "m0", "duplex", "full"),
        ("sub lag", "m1", "duplex", "full"),
        ("sub p10", "p10", "duplex", "full"),
        ("sub p1", "p1", "duplex", "half"),
    ] {
        add(
            &mut after,
            "values",
            json!([sub, port, "PortBlock", rt, value]),
        );
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, before);
}

tests::per_backend!(lifecycle_defaults);

/// A resource type used by two blocks renamed to a different name on each: the row keeps its
/// id and description under one name, the other block's values move to a new row, and down
/// puts everything back.
async fn resource_type_renamed_into_two(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let alias_id = resource_type_id(fx.conn(), "alias").await;
    let to = products(
        d::<m_two_aliases::Port>(),
        d::<m_two_aliases::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = format!("{BASE_ANSWERS}\nport_alias = \"the port's alias\"\n");
    let (changes, plan) = upgrade(fx.conn(), &to, &answers).await;
    assert_eq!(
        changes.rename_resource_types,
        pairs(&[("alias", "lag_alias")])
    );
    assert_eq!(changes.create_resource_types, names(&["port_alias"]));
    assert_eq!(
        resource_type_id(fx.conn(), "lag_alias").await,
        alias_id,
        "the row is kept"
    );
    let mut expected = fx.meta.clone();
    let description = expected["resource_types"]["alias"].take();
    let rts = expected["resource_types"].as_object_mut().unwrap();
    rts.remove("alias");
    rts.insert("lag_alias".into(), description);
    rts.insert("port_alias".into(), json!("the port's alias"));
    replace(&mut expected, "product_block_resource_types", |row| match (
        row[0].as_str(),
        row[1].as_str(),
    ) {
        (Some("PortBlock"), Some("alias")) => json!(["PortBlock", "port_alias"]),
        (Some("LagBlock"), Some("alias")) => json!(["LagBlock", "lag_alias"]),
        _ => row.clone(),
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    replace(&mut after, "values", |row| {
        let mut row = row.clone();
        if row[3] == "alias" {
            row[3] = json!(if row[2] == "PortBlock" {
                "port_alias"
            } else {
                "lag_alias"
            });
        }
        row
    });
    assert_eq!(
        state(fx.conn()).await,
        after,
        "every value kept, under its new name"
    );
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
    assert_eq!(resource_type_id(fx.conn(), "alias").await, alias_id);
}

with_and_without_subscriptions!(resource_type_renamed_into_two);

/// An existing resource type linked to another block with instances: the default is filled in,
/// and down removes those values again (orchestrator-core left them behind, bug B4).
async fn resource_type_link_existing(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<base::Port>(),
        d::<base::Lag>(),
        d::<m_vlan_alias::Vlan>(),
    );
    let answers = if fx.subscribed() {
        "[product_blocks.VlanBlock.defaults]\nalias = \"untagged\""
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.link_resource_types,
        pairs(&[("VlanBlock", "alias")])
    );
    assert_eq!(changes.len(), 1);
    let mut expected = fx.meta.clone();
    add(
        &mut expected,
        "product_block_resource_types",
        json!(["VlanBlock", "alias"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    if fx.subscribed() {
        add(
            &mut after,
            "values",
            json!(["sub vlan", "v100", "VlanBlock", "alias", "untagged"]),
        );
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(
        state(fx.conn()).await,
        fx.state,
        "no orphan values of the removed link"
    );
}

/// A resource type no block uses any more is deleted with its values (when confirmed).
async fn resource_type_delete(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<m_no_mtu::Port>(),
        d::<m_no_mtu::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = if fx.subscribed() {
        let e = plan_error(fx.conn(), &to, "").await.to_string();
        assert!(e.contains("confirm.delete_resource_types.mtu"), "{e}");
        "[confirm]\n\
         delete_resource_types = { mtu = true }\n\
         unlink_resource_types = { PortBlock = { mtu = true } }"
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(changes.delete_resource_types, names(&["mtu"]));
    assert_eq!(
        changes.unlink_resource_types,
        pairs(&[("PortBlock", "mtu")])
    );
    assert_eq!(changes.len(), 2);
    let mut expected = fx.meta.clone();
    expected["resource_types"]
        .as_object_mut()
        .unwrap()
        .remove("mtu");
    remove(
        &mut expected,
        "product_block_resource_types",
        json!(["PortBlock", "mtu"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    retain(&mut after, "values", |r| r[3] != "mtu");
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, after, "values are not restored");
}

/// A resource type removed from one block while another keeps it: only that block's values
/// are deleted (orchestrator-core deleted none, bug B4).
async fn resource_type_unlink_from_one_block(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<m_no_port_alias::Port>(),
        d::<m_no_port_alias::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = if fx.subscribed() {
        let e = plan_error(fx.conn(), &to, "").await.to_string();
        assert!(
            e.contains("confirm.unlink_resource_types.PortBlock.alias"),
            "{e}"
        );
        assert!(!e.contains("delete_resource_types"), "{e}");
        "[confirm.unlink_resource_types.PortBlock]\nalias = true"
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.unlink_resource_types,
        pairs(&[("PortBlock", "alias")])
    );
    assert_eq!(changes.len(), 1);
    let mut expected = fx.meta.clone();
    remove(
        &mut expected,
        "product_block_resource_types",
        json!(["PortBlock", "alias"]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    retain(&mut after, "values", |r| {
        !(r[2] == "PortBlock" && r[3] == "alias")
    });
    if fx.subscribed() {
        assert!(
            after["values"]
                .as_array()
                .unwrap()
                .contains(&json!(["sub lag", "lag", "LagBlock", "alias", "lag"]))
        );
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, after);
}

async fn value_ids(conn: &DatabaseConnection) -> Vec<(Uuid, Uuid, Uuid, String)> {
    let mut out: Vec<_> = subscription_instance_values::Entity::find()
        .all(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|v| {
            (
                v.subscription_instance_value_id,
                v.subscription_instance_id,
                v.resource_type_id,
                v.value,
            )
        })
        .collect();
    out.sort();
    out
}

/// `#[renamed_from = "mtu"]` where no other block uses `mtu`: the resource type row is renamed,
/// so every value keeps its row and id.
async fn resource_type_global_rename(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let values = value_ids(fx.conn()).await;
    let mtu = resource_type_id(fx.conn(), "mtu").await;
    let to = products(
        d::<m_max_frame::Port>(),
        d::<m_max_frame::Lag>(),
        d::<base::Vlan>(),
    );
    let (changes, plan) = upgrade(fx.conn(), &to, "").await;
    assert_eq!(
        changes.rename_resource_types,
        pairs(&[("mtu", "max_frame")])
    );
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(resource_type_id(fx.conn(), "max_frame").await, mtu);
    assert_eq!(value_ids(fx.conn()).await, values, "values untouched");
    let mut expected = fx.meta.clone();
    let description = expected["resource_types"]
        .as_object_mut()
        .unwrap()
        .remove("mtu")
        .unwrap();
    expected["resource_types"]["max_frame"] = description;
    replace(&mut expected, "product_block_resource_types", |r| {
        if r[1] == "mtu" {
            json!([r[0], "max_frame"])
        } else {
            r.clone()
        }
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
    assert_eq!(value_ids(fx.conn()).await, values);
}

/// An undeclared rename of a resource type is asked per block: a new name renames it (globally,
/// as no other block has `mtu`), `false` deletes it and creates the new one, which existing
/// instances get a default of.
async fn resource_type_rename_answered(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let values = value_ids(fx.conn()).await;
    let to = products(
        d::<m_max_frame_undeclared::Port>(),
        d::<m_max_frame_undeclared::Lag>(),
        d::<base::Vlan>(),
    );
    let e = plan_error(fx.conn(), &to, "").await.to_string();
    assert!(e.contains("renames.resource_types.PortBlock.mtu"), "{e}");

    let rename = "[renames.resource_types.PortBlock]\nmtu = \"max_frame\"";
    let (changes, plan) = upgrade(fx.conn(), &to, rename).await;
    assert_eq!(
        changes.rename_resource_types,
        pairs(&[("mtu", "max_frame")])
    );
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(value_ids(fx.conn()).await, values, "values kept");
    downgrade(&fx, &plan).await;
    assert_eq!(value_ids(fx.conn()).await, values);

    let mut not_renamed = String::from(
        "[renames.resource_types.PortBlock]\nmtu = false\n\
         [resource_types]\nmax_frame = \"largest frame\"\n",
    );
    if fx.subscribed() {
        not_renamed.push_str(
            "[product_blocks.PortBlock.defaults]\nmax_frame = 9216\n\
             [confirm]\ndelete_resource_types = { mtu = true }\n\
             unlink_resource_types = { PortBlock = { mtu = true } }\n",
        );
    }
    let (changes, plan) = upgrade(fx.conn(), &to, &not_renamed).await;
    assert_eq!(changes.create_resource_types, names(&["max_frame"]));
    assert_eq!(changes.delete_resource_types, names(&["mtu"]));
    assert_eq!(
        changes.link_resource_types,
        pairs(&[("PortBlock", "max_frame")])
    );
    assert_eq!(
        changes.unlink_resource_types,
        pairs(&[("PortBlock", "mtu")])
    );
    assert_eq!(changes.len(), 4, "{changes:?}");
    let mut after = fx.state.clone();
    retain(&mut after, "values", |r| r[3] != "mtu");
    let without_mtu = after.clone();
    if fx.subscribed() {
        for (sub, port) in [
            ("sub p10", "p10"),
            ("sub p1", "p1"),
            ("sub lag", "m0"),
            ("sub lag", "m1"),
        ] {
            add(
                &mut after,
                "values",
                json!([sub, port, "PortBlock", "max_frame", "9216"]),
            );
        }
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(
        state(fx.conn()).await,
        without_mtu,
        "down removes the new values; the deleted ones are lost"
    );
}

/// A rename answered onto a resource type another block already has: `PortBlock`'s values
/// move to it, and the old one, now unused, is deleted without losing (or asking about) the
/// moved values.
async fn resource_type_renamed_onto_an_existing_one(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let values = value_ids(fx.conn()).await;
    let to = products(
        d::<m_port_vid::Port>(),
        d::<m_port_vid::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = "[renames.resource_types.PortBlock]\nmtu = \"vid\"";
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.move_resource_types,
        vec![("PortBlock".into(), "mtu".into(), "vid".into())]
    );
    assert_eq!(changes.delete_resource_types, names(&["mtu"]));
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(plan.data_loss.is_empty(), "{:?}", plan.data_loss);
    let mut after = fx.state.clone();
    replace(&mut after, "values", |r| {
        if r[3] == "mtu" {
            json!([r[0], r[1], r[2], "vid", r[4]])
        } else {
            r.clone()
        }
    });
    assert_eq!(state(fx.conn()).await, after);
    let now = value_ids(fx.conn()).await;
    assert_eq!(
        now.iter().map(|v| (v.0, v.1, &v.3)).collect::<Vec<_>>(),
        values.iter().map(|v| (v.0, v.1, &v.3)).collect::<Vec<_>>(),
        "the same value rows"
    );
    let mut expected = fx.meta.clone();
    expected["resource_types"]
        .as_object_mut()
        .unwrap()
        .remove("mtu");
    replace(&mut expected, "product_block_resource_types", |r| {
        if r == &json!(["PortBlock", "mtu"]) {
            json!(["PortBlock", "vid"])
        } else {
            r.clone()
        }
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

/// `#[renamed_from = "alias"]` on `PortBlock` while `LagBlock` keeps `alias`: a new resource
/// type for `PortBlock`, which gets only its own values moved.
async fn resource_type_per_block_replacement(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let values = value_ids(fx.conn()).await;
    let to = products(
        d::<m_port_name::Port>(),
        d::<m_port_name::Lag>(),
        d::<base::Vlan>(),
    );
    let (changes, plan) = upgrade(
        fx.conn(),
        &to,
        "[resource_types]\nport_name = \"a port name\"",
    )
    .await;
    assert_eq!(
        changes.move_resource_types,
        vec![("PortBlock".into(), "alias".into(), "port_name".into())]
    );
    assert_eq!(changes.create_resource_types, names(&["port_name"]));
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(!has_backfills(&plan), "moved values need no default");
    let mut expected = fx.meta.clone();
    expected["resource_types"]["port_name"] = json!("a port name");
    replace(&mut expected, "product_block_resource_types", |r| {
        if r == &json!(["PortBlock", "alias"]) {
            json!(["PortBlock", "port_name"])
        } else {
            r.clone()
        }
    });
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    replace(&mut after, "values", |r| {
        if r[2] == "PortBlock" && r[3] == "alias" {
            json!([r[0], r[1], r[2], "port_name", r[4]])
        } else {
            r.clone()
        }
    });
    assert_eq!(state(fx.conn()).await, after);
    let (alias, port_name) = (
        resource_type_id(fx.conn(), "alias").await,
        resource_type_id(fx.conn(), "port_name").await,
    );
    let lag = subscription_instances::Entity::find()
        .filter(subscription_instances::Column::Label.eq("lag"))
        .one(fx.conn())
        .await
        .unwrap()
        .map(|i| i.subscription_instance_id);
    let mut moved: Vec<_> = values
        .iter()
        .map(|(id, i, rt, v)| {
            let rt = if *rt == alias && Some(*i) != lag {
                port_name
            } else {
                *rt
            };
            (*id, *i, rt, v.clone())
        })
        .collect();
    moved.sort();
    assert_eq!(
        value_ids(fx.conn()).await,
        moved,
        "the same value rows, PortBlock's now of `port_name`"
    );
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
    assert_eq!(value_ids(fx.conn()).await, values);
}

/// `#[renamed_from = "members"]` on a block field: stored relations are renamed. Without
/// stored relations there is nothing to do.
async fn relation_attribute_rename(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<base::Port>(),
        d::<m_lag_ports::Lag>(),
        d::<base::Vlan>(),
    );
    if !fx.subscribed() {
        assert_nothing_to_do(fx.conn(), &to, "").await;
        return;
    }
    let (changes, plan) = upgrade(fx.conn(), &to, "").await;
    assert_eq!(
        changes.rename_relation_attributes,
        vec![("LagBlock".into(), "members".into(), "ports".into())]
    );
    assert_eq!(changes.len(), 1);
    assert!(!has_backfills(&plan), "the renamed field is not new");
    assert_eq!(metadata(fx.conn()).await, fx.meta);
    let mut after = fx.state.clone();
    replace(&mut after, "relations", |r| {
        let mut r = r.clone();
        r[3] = json!("ports");
        r
    });
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

with_and_without_subscriptions!(
    resource_type_create,
    resource_type_link_existing,
    resource_type_delete,
    resource_type_unlink_from_one_block,
    resource_type_global_rename,
    resource_type_rename_answered,
    resource_type_renamed_onto_an_existing_one,
    resource_type_per_block_replacement,
    relation_attribute_rename
);

// ---------------------------------------------------------------------------------------------
// Instances for existing subscriptions
// ---------------------------------------------------------------------------------------------

const STATS_ANSWERS: &str = r#"
[product_blocks.StatsBlock]
description = "statistics"
tag = "STATS"
defaults = { counter = "0" }
[resource_types]
counter = "a counter"
note = "a note"
"#;

/// A new required root block: every subscription of the product gets one instance when the
/// migration runs, also a subscription made after it was generated (orchestrator-core baked
/// the ids of the subscriptions it saw into the migration, bug B5).
async fn new_root_block(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(d::<m_stats::Port>(), d::<base::Lag>(), d::<base::Vlan>());
    let (changes, plan) = plan(fx.conn(), &to, STATS_ANSWERS).await.unwrap();
    assert_eq!(changes.create_blocks, names(&["StatsBlock"]));
    if !fx.subscribed() {
        assert!(!has_backfills(&plan), "no subscriptions, nothing to fill");
        apply(fx.conn(), &plan.up).await.unwrap();
        assert_nothing_to_do(fx.conn(), &to, STATS_ANSWERS).await;
        downgrade(&fx, &plan).await;
        return;
    }
    assert!(plan.up.contains(&Op::BackfillRootInstances {
        product: "port 10G".into(),
        block: "StatsBlock".into()
    }));
    let source = orch_migrate::render::migration(
        &plan,
        "stats",
        chrono::DateTime::from_timestamp(0, 0).unwrap(),
        "orch-migrate",
    )
    .source;
    for s in subscriptions::Entity::find().all(fx.conn()).await.unwrap() {
        let id = s.subscription_id.to_string();
        assert!(!source.contains(&id), "no subscription id in the migration");
    }
    // made after generating, before applying
    port_subscription(fx.conn(), "port 10G", "late").await;
    let before = state(fx.conn()).await;
    apply(fx.conn(), &plan.up).await.unwrap();
    assert_nothing_to_do(fx.conn(), &to, STATS_ANSWERS).await;

    let mut after = before.clone();
    for sub in ["sub p10", "sub p1", "sub late"] {
        add(&mut after, "instances", json!([sub, "StatsBlock", null]));
        add(
            &mut after,
            "values",
            json!([sub, null, "StatsBlock", "counter", "0"]),
        );
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(
        state(fx.conn()).await,
        before,
        "down removes the new instances"
    );
}

/// A new required child block under a block with instances: each instance gets a child in its
/// own subscription, related through the field with order 0, with the default values.
async fn new_child_block(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<m_port_requires_vlan::Port>(),
        d::<m_port_requires_vlan::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = if fx.subscribed() {
        "[product_blocks.VlanBlock.defaults]\nvid = 1"
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.link_block_relations,
        vec![("PortBlock".into(), "VlanBlock".into(), rel(None, None))]
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(has_backfills(&plan), fx.subscribed());
    let mut expected = fx.meta.clone();
    add(
        &mut expected,
        "product_block_relations",
        json!(["PortBlock", "VlanBlock", null, null]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    if fx.subscribed() {
        for (sub, port) in [
            ("sub p10", "p10"),
            ("sub p1", "p1"),
            ("sub lag", "m0"),
            ("sub lag", "m1"),
        ] {
            add(&mut after, "instances", json!([sub, "VlanBlock", null]));
            add(
                &mut after,
                "values",
                json!([sub, null, "VlanBlock", "vid", "1"]),
            );
            add(
                &mut after,
                "relations",
                json!([sub, port, "PortBlock", "vlan", 0, sub, null, "VlanBlock"]),
            );
        }
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

/// A new list field with `#[items(min = 2)]`: every parent gets two children, at order 0 and 1.
async fn new_child_list_with_minimum(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<m_port_vlans::Port>(),
        d::<m_port_vlans::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = if fx.subscribed() {
        "[product_blocks.VlanBlock.defaults]\nvid = 2"
    } else {
        ""
    };
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(
        changes.link_block_relations,
        vec![("PortBlock".into(), "VlanBlock".into(), rel(Some(2), None))]
    );
    let mut expected = fx.meta.clone();
    add(
        &mut expected,
        "product_block_relations",
        json!(["PortBlock", "VlanBlock", 2, null]),
    );
    assert_eq!(metadata(fx.conn()).await, expected);
    let mut after = fx.state.clone();
    if fx.subscribed() {
        for (sub, port) in [
            ("sub p10", "p10"),
            ("sub p1", "p1"),
            ("sub lag", "m0"),
            ("sub lag", "m1"),
        ] {
            for order in 0..2 {
                add(&mut after, "instances", json!([sub, "VlanBlock", null]));
                add(
                    &mut after,
                    "values",
                    json!([sub, null, "VlanBlock", "vid", "2"]),
                );
                add(
                    &mut after,
                    "relations",
                    json!([
                        sub,
                        port,
                        "PortBlock",
                        "vlans",
                        order,
                        sub,
                        null,
                        "VlanBlock"
                    ]),
                );
            }
        }
    }
    assert_eq!(state(fx.conn()).await, after);
    let distinct_children = count(
        fx.conn(),
        "SELECT COUNT(DISTINCT depends_on_id) FROM subscription_instance_relations \
         WHERE domain_model_attr = 'vlans'",
    )
    .await;
    assert_eq!(
        distinct_children,
        if fx.subscribed() { 8 } else { 0 },
        "every position holds its own instance"
    );
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, fx.state);
}

const NESTED_ANSWERS: &str = r#"
[product_blocks.ABlock]
description = "block A"
tag = "A"
defaults = { title = "untitled" }
[product_blocks.BBlock]
description = "block B"
tag = "B"
defaults = { n = "0" }
[resource_types]
title = "a title"
n = "a number"
"#;

/// A new required root block that requires a new child: both levels are created for every
/// subscription, including one made after generating.
async fn new_nested_blocks(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(d::<m_nested::Port>(), d::<base::Lag>(), d::<base::Vlan>());
    let (changes, plan) = plan(fx.conn(), &to, NESTED_ANSWERS).await.unwrap();
    assert_eq!(changes.create_blocks, names(&["ABlock", "BBlock"]));
    assert_eq!(has_backfills(&plan), fx.subscribed());
    if fx.subscribed() {
        subscribe(fx.conn(), "port 1G", "sub late").await;
    }
    let before = state(fx.conn()).await;
    apply(fx.conn(), &plan.up).await.unwrap();
    assert_nothing_to_do(fx.conn(), &to, NESTED_ANSWERS).await;
    let mut after = before.clone();
    if fx.subscribed() {
        for sub in ["sub p10", "sub p1", "sub late"] {
            add(&mut after, "instances", json!([sub, "ABlock", null]));
            add(&mut after, "instances", json!([sub, "BBlock", null]));
            add(
                &mut after,
                "values",
                json!([sub, null, "ABlock", "title", "untitled"]),
            );
            add(&mut after, "values", json!([sub, null, "BBlock", "n", "0"]));
            add(
                &mut after,
                "relations",
                json!([sub, null, "ABlock", "b", 0, sub, null, "BBlock"]),
            );
        }
    }
    assert_eq!(state(fx.conn()).await, after);
    downgrade(&fx, &plan).await;
    assert_eq!(state(fx.conn()).await, before);
}

/// A new required root block whose block the product's subscriptions already hold nested: the
/// downgrade removes only root instances, never the nested ones.
async fn new_root_block_already_nested(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let to = products(
        d::<base::Port>(),
        d::<m_lag_primary::Lag>(),
        d::<base::Vlan>(),
    );
    let answers = "[product_blocks.PortBlock.defaults]\nalias = \"primary\"\nmtu = 1500";
    let (changes, plan) = upgrade(fx.conn(), &to, answers).await;
    assert_eq!(changes.link_product_blocks, pairs(&[("lag", "PortBlock")]));
    assert_eq!(changes.len(), 1);
    assert_eq!(has_backfills(&plan), fx.subscribed());
    let now = state(fx.conn()).await;
    for member in ["m0", "m1"] {
        let kept = json!(["sub lag", "PortBlock", member]);
        assert_eq!(
            now["instances"].as_array().unwrap().contains(&kept),
            fx.subscribed(),
            "{member} is kept"
        );
    }
    downgrade(&fx, &plan).await;
    assert_eq!(
        state(fx.conn()).await,
        fx.state,
        "the lag's member ports survive the downgrade"
    );
}

with_and_without_subscriptions!(
    new_root_block,
    new_root_block_already_nested,
    new_child_block,
    new_child_list_with_minimum,
    new_nested_blocks
);

// ---------------------------------------------------------------------------------------------
// Text that is hard to quote
// ---------------------------------------------------------------------------------------------

const TRICKY: &str =
    "it's \"quoted\" \\back\\slash :word :abc \"\"\" triple ünïcødé 🦀 ∑\nsecond line\ttab";
const TRICKY_TAG: &str = "O'Q\":w\"\"\"\\ü";
const TRICKY_NAME: &str = "note \"ünï\" it's :x";
/// The block name of `m_note_v1` and `m_note_v2`.
const TRICKY_BLOCK: &str = "Note \"block\" it's :b ✓";

/// A TOML string for `s`: JSON's escapes are TOML's.
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Names, descriptions, tags, fixed-input values and default values with quotes, backslashes,
/// `:word`, `"""`, unicode and newlines arrive exactly.
async fn tricky_text(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let conn = &db.conn;
    core_schema(conn).await;
    let v1 = registry(&[("note", d::<m_note_v1::Note>())]);
    let t = toml_str(TRICKY);
    let v1_answers = format!(
        "[products.note]\ndescription = {t}\ntag = {tag}\n\
         [product_blocks.{block}]\ndescription = {t}\ntag = {tag}\n\
         [resource_types]\ntext = {t}\n",
        tag = toml_str(TRICKY_TAG),
        block = toml_str(TRICKY_BLOCK)
    );
    migrate(conn, &v1, &v1_answers).await.unwrap();
    let s = subscribe(conn, "note", "sub note").await;
    let i = instance(conn, s, TRICKY_BLOCK, "n").await;
    value(conn, i, "text", TRICKY).await;
    let meta_v1 = metadata(conn).await;
    let data_v1 = state(conn).await;

    let v2 = registry(&[
        ("note", d::<m_note_v2::Note>()),
        (TRICKY_NAME, d::<m_note_v2::Note>()),
    ]);
    let name = toml_str(TRICKY_NAME);
    let v2_answers = format!(
        "[products.{name}]\ndescription = {t}\ntag = {tag}\nfixed_inputs = {{ remark = {t} }}\n\
         [products.note.fixed_inputs]\nremark = {t}\n\
         [product_blocks.{block}.defaults]\ncomment = {t}\n\
         [resource_types]\ncomment = {t}\n",
        tag = toml_str(TRICKY_TAG),
        block = toml_str(TRICKY_BLOCK)
    );
    let (changes, plan) = upgrade(conn, &v2, &v2_answers).await;
    assert_eq!(changes.create_products, names(&[TRICKY_NAME]));

    let meta = metadata(conn).await;
    assert_eq!(meta["products"]["note"]["description"], json!(TRICKY));
    assert_eq!(meta["products"]["note"]["tag"], json!(TRICKY_TAG));
    assert_eq!(
        meta["products"][TRICKY_NAME],
        json!({"description": TRICKY, "product_type": "Note", "tag": TRICKY_TAG, "status": "active"})
    );
    assert_eq!(
        meta["product_blocks"][TRICKY_BLOCK]["description"],
        json!(TRICKY)
    );
    assert_eq!(meta["resource_types"]["comment"], json!(TRICKY));
    let mut fixed = vec![
        json!(["note", "remark", TRICKY]),
        json!([TRICKY_NAME, "remark", TRICKY]),
    ];
    sort_rows(&mut fixed);
    assert_eq!(meta["fixed_inputs"], Value::Array(fixed));
    assert!(
        meta["product_product_blocks"]
            .as_array()
            .unwrap()
            .contains(&json!([TRICKY_NAME, TRICKY_BLOCK]))
    );
    let data = state(conn).await;
    assert_eq!(
        data["values"],
        json!([
            ["sub note", "n", TRICKY_BLOCK, "comment", TRICKY],
            ["sub note", "n", TRICKY_BLOCK, "text", TRICKY]
        ])
    );
    let source = orch_migrate::render::migration(
        &plan,
        TRICKY,
        chrono::DateTime::from_timestamp(0, 0).unwrap(),
        "orch-migrate",
    );
    assert!(source.source.contains("Op::CreateProduct"));

    apply(conn, &plan.down).await.unwrap();
    assert_eq!(metadata(conn).await, meta_v1);
    assert_eq!(state(conn).await, data_v1);
}

tests::per_backend!(tricky_text);

// ---------------------------------------------------------------------------------------------
// An empty registry
// ---------------------------------------------------------------------------------------------

/// With no product registered, every product would be deleted: refused until the answers say
/// `confirm.delete_every_product = true` (before, nothing could remove the last product);
/// `check` reports the empty registry with its own exit code instead of proposing the deletion.
async fn every_product_deleted_only_when_confirmed(backend: Backend, data: Data) {
    let Some(fx) = fixture(backend, data).await else {
        return;
    };
    let empty = registry(&[]);
    let e = plan_error(fx.conn(), &empty, "").await.to_string();
    assert!(e.contains("confirm.delete_every_product"), "{e}");
    let e = plan_error(
        fx.conn(),
        &empty,
        "[confirm]\ndelete_every_product = false\n",
    )
    .await
    .to_string();
    if !fx.subscribed() {
        assert_eq!(
            e,
            "no product is registered, so every product (4) would be deleted: \
             confirm.delete_every_product is false, so nothing was generated"
        );
    }

    let migrator = orch_migrate::Migrator::core_only();
    let report = orch_migrate::check::check(fx.conn(), &migrator, &empty, None)
        .await
        .unwrap();
    assert_eq!(report.exit_code(), 4, "{report:?}");
    assert!(
        report.text().contains("register_products!"),
        "{}",
        report.text()
    );
    assert!(report.changes.is_empty(), "no deletion proposed");

    let mut answers = String::from("[confirm]\ndelete_every_product = true\n");
    if fx.subscribed() {
        answers.push_str("delete_products = { \"port 10G\" = true, \"port 1G\" = true, lag = true, vlan = true }\n");
        answers.push_str(
            "delete_product_blocks = { PortBlock = true, LagBlock = true, VlanBlock = true }\n",
        );
        answers.push_str("delete_resource_types = { alias = true, mtu = true, vid = true }\n");
    }
    let (changes, plan) = upgrade(fx.conn(), &empty, &answers).await;
    assert_eq!(changes.delete_products.len(), 4);
    assert_eq!(count(fx.conn(), "SELECT COUNT(*) FROM products").await, 0);
    downgrade(&fx, &plan).await;
}

with_and_without_subscriptions!(every_product_deleted_only_when_confirmed);

/// A migration file in the directory that the binary was not built with (a `m*.rs` that
/// `mod.rs` does not list, or a module generated but not compiled yet) fails `check` with
/// exit code 2, naming it; it passed before.
async fn check_finds_files_the_binary_lacks(backend: Backend) {
    let Some(fx) = fixture(backend, Data::Empty).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let migrator = orch_migrate::Migrator::core_only();
    let report =
        orch_migrate::check::check(fx.conn(), &migrator, &base_registry(), Some(dir.path()))
            .await
            .unwrap();
    assert_eq!(report.exit_code(), 0, "{}", report.text());
    std::fs::write(dir.path().join("m20990101_000000_garbage.rs"), "not rust").unwrap();
    std::fs::write(dir.path().join("notes.rs"), "// not a migration").unwrap();
    let report =
        orch_migrate::check::check(fx.conn(), &migrator, &base_registry(), Some(dir.path()))
            .await
            .unwrap();
    assert_eq!(report.unbuilt_migrations, ["m20990101_000000_garbage"]);
    assert_eq!(report.exit_code(), 2);
    assert!(report.text().contains("rebuild"), "{}", report.text());
}

tests::per_backend!(check_finds_files_the_binary_lacks);
