//! Loading subscriptions: a fixed number of queries per batch (the subscription rows, their
//! products and fixed inputs, and the instance graph with one recursive query per table),
//! then each subscription built from those rows as its Rust type. Also the JSON of any stored
//! subscription without naming its type.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, TransactionSession,
};
use uuid::Uuid;

use super::rows::{Graph, Node, ReadCx, StoredInstance};
use super::store::{
    ID_CHUNK, base_of, check_registered, fixed_inputs_of, placeholders, product_info, rows,
};
use super::{Connection, ProductRef, SubscriptionError};
use crate::entity::{products, subscriptions};
use crate::lifecycle::{Lifecycle, SubscriptionLifecycle};
use crate::model::{Product, ProductInfo, StoredState, SubscriptionMeta};
use crate::registry::SUBSCRIPTION_MODEL_REGISTRY;

/// `WITH RECURSIVE reach(id)`: every instance the subscriptions own, and every instance those
/// use, across subscriptions, at any depth. Binds the subscription ids from `$1` (on
/// PostgreSQL, one `uuid[]`).
///
/// On PostgreSQL each step looks up the relations of the instances found so far through a
/// `LATERAL ... OFFSET 0` subquery, which keeps it a nested loop over the primary key. As a
/// plain join, the planner, which cannot know how few rows a recursion yields, hashes the whole
/// relations table at every step: a load then costs as much as the table is large, whatever it
/// loads.
fn reach(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => "WITH RECURSIVE reach (id) AS (\
             SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id = ANY($1) \
             UNION \
             SELECT d.depends_on_id FROM reach CROSS JOIN LATERAL (\
             SELECT r.depends_on_id FROM subscription_instance_relations r \
             WHERE r.in_use_by_id = reach.id OFFSET 0) d) "
            .to_owned(),
        // MySQL has no LATERAL: STRAIGHT_JOIN keeps the found rows outside, probing the key
        DbBackend::MySql => format!(
            "WITH RECURSIVE reach (id) AS (\
             SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id IN ({}) \
             UNION \
             SELECT STRAIGHT_JOIN r.depends_on_id FROM reach JOIN subscription_instance_relations r ON r.in_use_by_id = reach.id) ",
            placeholders(backend, 1, n)
        ),
        _ => format!(
            "WITH RECURSIVE reach (id) AS (\
             SELECT subscription_instance_id FROM subscription_instances WHERE subscription_id IN ({}) \
             UNION \
             SELECT r.depends_on_id FROM subscription_instance_relations r JOIN reach ON r.in_use_by_id = reach.id) ",
            placeholders(backend, 1, n)
        ),
    }
}

/// `ids` as the bind values of [`reach`], or of a `= ANY($1)` on PostgreSQL.
fn id_values(backend: DbBackend, ids: &[Uuid]) -> Vec<Value> {
    let values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
    match backend {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => vec![Value::Array(
            sea_orm::sea_query::ArrayType::Uuid,
            Some(Box::new(values)),
        )],
        _ => values,
    }
}

/// The instances reachable from `ids` with their values and relations: three queries.
///
/// On PostgreSQL the first returns the instances, and the other two look their values and
/// relations up by that list of ids (one array parameter), so that each query reads the rows
/// it returns through an index. Elsewhere each query selects from the recursion again, which
/// SQLite and MariaDB plan as index lookups too.
async fn load_graph<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<Graph, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let cte = reach(backend, ids.len());
    let mut graph = Graph::default();
    let instances_sql = match backend {
        DbBackend::Postgres => format!(
            "{cte}SELECT i.subscription_instance_id AS id, i.subscription_id AS owner, b.name AS block, i.label AS label \
             FROM reach CROSS JOIN LATERAL (SELECT * FROM subscription_instances i \
             WHERE i.subscription_instance_id = reach.id OFFSET 0) i \
             JOIN product_blocks b ON b.product_block_id = i.product_block_id"
        ),
        DbBackend::MySql => format!(
            "{cte}SELECT STRAIGHT_JOIN i.subscription_instance_id AS id, i.subscription_id AS owner, b.name AS block, i.label AS label \
             FROM reach JOIN subscription_instances i ON i.subscription_instance_id = reach.id \
             JOIN product_blocks b ON b.product_block_id = i.product_block_id"
        ),
        _ => format!(
            "{cte}SELECT i.subscription_instance_id AS id, i.subscription_id AS owner, b.name AS block, i.label AS label \
             FROM subscription_instances i JOIN product_blocks b ON b.product_block_id = i.product_block_id \
             WHERE i.subscription_instance_id IN (SELECT id FROM reach)"
        ),
    };
    for row in rows(db, instances_sql, id_values(backend, ids)).await? {
        graph.instances.insert(
            row.try_get("", "id")?,
            StoredInstance {
                block: row.try_get("", "block")?,
                owner: row.try_get("", "owner")?,
                label: row.try_get("", "label")?,
                ..StoredInstance::default()
            },
        );
    }
    // the instances to read values and relations of: `$1` on PostgreSQL, the recursion elsewhere
    // the instances to read values and relations of: `$1` on PostgreSQL, an id list on MySQL
    // (whose optimizer otherwise scans both tables), the recursion again on SQLite
    let found: Vec<Uuid> = graph.instances.keys().copied().collect();
    let (prefix, within, values) = match backend {
        DbBackend::Postgres => ("", "= ANY($1)".to_owned(), id_values(backend, &found)),
        DbBackend::MySql if found.len() <= ID_CHUNK => (
            "",
            format!("IN ({})", placeholders(backend, 1, found.len().max(1))),
            if found.is_empty() {
                vec![Value::from(Uuid::nil())]
            } else {
                id_values(backend, &found)
            },
        ),
        _ => (
            cte.as_str(),
            "IN (SELECT id FROM reach)".to_owned(),
            id_values(backend, ids),
        ),
    };
    for row in rows(
        db,
        format!(
            "{prefix}SELECT v.subscription_instance_id AS id, t.resource_type AS rt, v.value AS value \
             FROM subscription_instance_values v JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
             WHERE v.subscription_instance_id {within} ORDER BY v.subscription_instance_value_id"
        ),
        values.clone(),
    )
    .await?
    {
        let id: Uuid = row.try_get("", "id")?;
        if let Some(i) = graph.instances.get_mut(&id) {
            i.values
                .entry(row.try_get("", "rt")?)
                .or_default()
                .push(row.try_get("", "value")?);
        }
    }
    for row in rows(
        db,
        format!(
            "{prefix}SELECT in_use_by_id AS parent, depends_on_id AS child, domain_model_attr AS attr \
             FROM subscription_instance_relations \
             WHERE in_use_by_id {within} AND domain_model_attr IS NOT NULL \
             ORDER BY in_use_by_id, domain_model_attr, order_id"
        ),
        values,
    )
    .await?
    {
        let parent: Uuid = row.try_get("", "parent")?;
        if let Some(i) = graph.instances.get_mut(&parent) {
            i.children
                .entry(row.try_get("", "attr")?)
                .or_default()
                .push(row.try_get("", "child")?);
        }
    }
    Ok(graph)
}

fn meta_of<L: Lifecycle>(row: &subscriptions::Model, product: ProductInfo) -> SubscriptionMeta<L> {
    let mut meta = SubscriptionMeta::new(row.subscription_id, row.customer_id.clone(), product);
    meta.description = row.description.clone();
    meta.insync = row.insync;
    meta.start_date = row.start_date;
    meta.end_date = row.end_date;
    meta.note = row.note.clone();
    meta.version = row.version;
    meta
}

/// Loads subscriptions as `P`, in the order of `ids`, with six queries whatever their size and
/// number (six per 10,000, to stay within every backend's parameter limit). Each must be a
/// product registered for `P` and in lifecycle `P::Lifecycle`.
pub async fn load<P: Product, C: Connection>(
    db: &C,
    ids: &[Uuid],
) -> Result<Vec<P>, SubscriptionError> {
    load_with(db, ids, Batch::build::<P>).await
}

/// A transaction on PostgreSQL with JIT compilation off, for the loads' recursive queries.
///
/// PostgreSQL cannot estimate how many rows a recursion over shared blocks yields and guesses
/// high, so a load that reads a few dozen rows in well under a millisecond gets a cost above
/// `jit_above_cost`, and PostgreSQL spends 100-200 ms compiling it. `SET LOCAL` ends with the
/// transaction (or, when `db` is one already, with the caller's).
pub(super) async fn without_jit<C: Connection>(
    db: &C,
) -> Result<C::Transaction, SubscriptionError> {
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL jit = off").await?;
    Ok(txn)
}

/// Ends a read-only transaction: commits after `result` is `Ok`, rolls back otherwise.
async fn finish<X: TransactionSession, T>(
    txn: X,
    result: Result<T, SubscriptionError>,
) -> Result<T, SubscriptionError> {
    match result {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// The rows of a batch of subscriptions, read with a fixed number of queries, from which each
/// is built as whichever registered type and lifecycle its product and status say: the loads
/// of one type and of any type share it.
#[derive(Debug)]
pub struct Batch {
    subscriptions: HashMap<Uuid, subscriptions::Model>,
    products: HashMap<Uuid, products::Model>,
    fixed: HashMap<Uuid, BTreeMap<String, String>>,
    graph: Graph,
}

impl Batch {
    /// Reads the subscriptions `ids` (at most [`ID_CHUNK`]) and everything they reach.
    async fn read<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<Batch, SubscriptionError> {
        let subscriptions: HashMap<Uuid, subscriptions::Model> = subscriptions::Entity::find()
            .filter(subscriptions::Column::SubscriptionId.is_in(ids.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.subscription_id, s))
            .collect();
        if let Some(missing) = ids.iter().find(|id| !subscriptions.contains_key(id)) {
            return Err(SubscriptionError::NotFound(*missing));
        }
        let product_ids: Vec<Uuid> = subscriptions
            .values()
            .map(|s| s.product_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let products: HashMap<Uuid, products::Model> = products::Entity::find()
            .filter(products::Column::ProductId.is_in(product_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.product_id, p))
            .collect();
        let fixed = fixed_inputs_of(db, product_ids).await?;
        let graph = load_graph(db, ids).await?;
        Ok(Batch {
            subscriptions,
            products,
            fixed,
            graph,
        })
    }

    fn row(&self, id: Uuid) -> Result<&subscriptions::Model, SubscriptionError> {
        self.subscriptions
            .get(&id)
            .ok_or(SubscriptionError::NotFound(id))
    }

    /// The stored lifecycle of subscription `id`.
    pub fn status(&self, id: Uuid) -> Result<SubscriptionLifecycle, SubscriptionError> {
        self.row(id)?
            .status
            .parse()
            .map_err(
                |e: crate::lifecycle::UnknownLifecycle| SubscriptionError::Invalid {
                    id,
                    problems: vec![e.to_string()],
                },
            )
    }

    /// The name of the product of subscription `id`.
    pub fn product_name(&self, id: Uuid) -> Result<&str, SubscriptionError> {
        let row = self.row(id)?;
        self.products
            .get(&row.product_id)
            .map(|p| p.name.as_str())
            .ok_or(SubscriptionError::ProductNotFound(ProductRef::Id(
                row.product_id,
            )))
    }

    /// Subscription `id` as `P`, which must be its product's registered type and its stored
    /// lifecycle.
    pub fn build<P: Product>(&self, id: Uuid) -> Result<P, SubscriptionError> {
        let s = self.row(id)?;
        let wanted = <P::Lifecycle as Lifecycle>::STATUS;
        let status = self.status(id)?;
        if status != wanted {
            return Err(SubscriptionError::WrongLifecycle {
                id,
                status,
                requested: wanted,
                type_name: P::descriptor().rust_name,
            });
        }
        let product =
            self.products
                .get(&s.product_id)
                .ok_or(SubscriptionError::ProductNotFound(ProductRef::Id(
                    s.product_id,
                )))?;
        check_registered::<P>(&product.name)?;
        let meta = meta_of::<P::Lifecycle>(s, product_info(product)?);
        let roots = roots_of(&self.graph, id);
        let mut cx = ReadCx::default();
        let empty = BTreeMap::new();
        let fixed = self.fixed.get(&s.product_id).unwrap_or(&empty);
        match P::__read(meta, fixed, &roots, &mut cx) {
            Some(mut p) if !cx.has_errors() => {
                if let Some(base) = base_of(&p, &self.graph) {
                    p.meta_mut().stored = StoredState(Some(std::sync::Arc::new(base)));
                }
                Ok(p)
            }
            _ => Err(SubscriptionError::Invalid {
                id,
                problems: cx.into_errors(),
            }),
        }
    }
}

/// Loads subscriptions of any registered type and lifecycle with the queries of [`load()`]:
/// `build` makes each one from the rows, typically by matching its product name and status
/// (what `register_products!`'s enum form generates).
pub async fn load_with<T, C: Connection>(
    db: &C,
    ids: &[Uuid],
    build: impl Fn(&Batch, Uuid) -> Result<T, SubscriptionError>,
) -> Result<Vec<T>, SubscriptionError> {
    async fn chunks<T, C: ConnectionTrait>(
        db: &C,
        ids: &[Uuid],
        build: &impl Fn(&Batch, Uuid) -> Result<T, SubscriptionError>,
    ) -> Result<Vec<T>, SubscriptionError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ID_CHUNK) {
            let rows = Batch::read(db, chunk).await?;
            for id in chunk {
                out.push(build(&rows, *id)?);
            }
        }
        Ok(out)
    }
    if db.get_database_backend() != DbBackend::Postgres {
        return chunks(db, ids, &build).await;
    }
    let txn = without_jit(db).await?;
    let result = chunks(&txn, ids, &build).await;
    finish(txn, result).await
}

/// The subscription's root instances: those it owns that none of its own instances uses,
/// ordered by id (time-ordered for instances orch creates).
fn roots_of(graph: &Graph, subscription: Uuid) -> Vec<Node<'_>> {
    let used: HashSet<Uuid> = graph
        .instances
        .values()
        .filter(|i| i.owner == subscription)
        .flat_map(|i| i.children.values().flatten().copied())
        .collect();
    let mut roots: Vec<Node<'_>> = graph
        .instances
        .iter()
        .filter(|(id, i)| i.owner == subscription && !used.contains(*id))
        .filter_map(|(id, _)| graph.node(*id))
        .collect();
    roots.sort_by_key(|n| n.id);
    roots
}

/// Loads one subscription as `P`.
pub async fn load_one<P: Product, C: Connection>(db: &C, id: Uuid) -> Result<P, SubscriptionError> {
    Ok(load::<P, C>(db, &[id]).await?.remove(0))
}

/// A stored subscription as JSON in the shape of orchestrator-core's
/// `GET /api/subscriptions/domain-model/{id}`: the subscription's fields, its fixed inputs and
/// blocks (each with `in_use_by_ids` and `in_use_by_relations`), read through the descriptors of
/// the product's registered type, so any registered product can be shown without naming its
/// Rust type. Seven queries, whatever the size of the subscription.
pub async fn load_json<C: Connection>(
    db: &C,
    id: Uuid,
) -> Result<serde_json::Value, SubscriptionError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return json_of(db, id).await;
    }
    let txn = without_jit(db).await?;
    let result = json_of(&txn, id).await;
    finish(txn, result).await
}

/// [`load_json`] on a connection as it is.
async fn json_of<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<serde_json::Value, SubscriptionError> {
    use serde_json::{Map, Value as Json, json};
    let row = subscriptions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(SubscriptionError::NotFound(id))?;
    let product = products::Entity::find_by_id(row.product_id)
        .one(db)
        .await?
        .ok_or_else(|| SubscriptionError::ProductNotFound(ProductRef::Id(row.product_id)))?;
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
    let descriptor = registry
        .product(&product.name)
        .ok_or_else(|| SubscriptionError::NotRegistered(product.name.clone()))?
        .product_type;
    let fixed = fixed_inputs_of(db, vec![row.product_id])
        .await?
        .remove(&row.product_id)
        .unwrap_or_default();
    let graph = load_graph(db, &[id]).await?;
    let backend = db.get_database_backend();
    let mut users: HashMap<Uuid, Vec<(Uuid, Uuid)>> = HashMap::new();
    for r in rows(
        db,
        format!(
            "{}SELECT r.depends_on_id AS child, r.in_use_by_id AS parent, p.subscription_id AS owner \
             FROM subscription_instance_relations r \
             JOIN subscription_instances p ON p.subscription_instance_id = r.in_use_by_id \
             WHERE r.depends_on_id IN (SELECT id FROM reach) ORDER BY r.in_use_by_id",
            reach(backend, 1)
        ),
        id_values(backend, &[id]),
    )
    .await?
    {
        users
            .entry(r.try_get("", "child")?)
            .or_default()
            .push((r.try_get("", "parent")?, r.try_get("", "owner")?));
    }

    let value_json = |field: &crate::FieldDescriptor, stored: &[String]| -> Json {
        let one = |s: &String| match field.value_type() {
            Some(vt) => (vt.to_json)(s).unwrap_or_else(|_| Json::String(s.clone())),
            None => Json::String(s.clone()),
        };
        match field.shape.cardinality {
            crate::Cardinality::List => Json::Array(stored.iter().map(one).collect()),
            _ => stored.first().map_or(Json::Null, one),
        }
    };
    fn block_json(
        node: Node<'_>,
        block: &'static crate::BlockDescriptor,
        users: &HashMap<Uuid, Vec<(Uuid, Uuid)>>,
        value_json: &dyn Fn(&crate::FieldDescriptor, &[String]) -> serde_json::Value,
        depth: usize,
    ) -> serde_json::Value {
        use serde_json::{Map, Value as Json, json};
        let mut map = Map::new();
        map.insert("name".into(), json!(block.name));
        map.insert(
            "subscription_instance_id".into(),
            json!(node.id.to_string()),
        );
        map.insert(
            "owner_subscription_id".into(),
            json!(node.instance.owner.to_string()),
        );
        map.insert("label".into(), json!(node.instance.label));
        for field in block.fields {
            let v = if field.is_block() {
                let children: Vec<Json> = node
                    .instance
                    .children
                    .get(field.name)
                    .into_iter()
                    .flatten()
                    .filter_map(|child| node.graph.node(*child))
                    .filter_map(|child| {
                        let d = field.blocks().find(|b| b.name == child.instance.block)?;
                        // stored instance graphs are acyclic; the depth guards against bad data
                        (depth < 64).then(|| block_json(child, d, users, value_json, depth + 1))
                    })
                    .collect();
                match field.shape.cardinality {
                    crate::Cardinality::List => Json::Array(children),
                    _ => children.into_iter().next().unwrap_or(Json::Null),
                }
            } else {
                let stored = node
                    .instance
                    .values
                    .get(field.name)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                value_json(field, stored)
            };
            map.insert(field.name.to_owned(), v);
        }
        let used_by = users.get(&node.id).map(Vec::as_slice).unwrap_or_default();
        map.insert(
            "in_use_by_ids".into(),
            Json::Array(used_by.iter().map(|(p, _)| json!(p.to_string())).collect()),
        );
        map.insert(
            "in_use_by_relations".into(),
            Json::Array(
                used_by
                    .iter()
                    .map(|(p, s)| {
                        json!({"subscription_instance_id": p.to_string(), "subscription_id": s.to_string()})
                    })
                    .collect(),
            ),
        );
        Json::Object(map)
    }

    let ts = |d: Option<DateTime<Utc>>| {
        d.map_or(Json::Null, |d| json!(d.timestamp_micros() as f64 / 1e6))
    };
    let mut map = Map::new();
    map.insert(
        "product".into(),
        json!({
            "product_id": product.product_id.to_string(),
            "name": product.name,
            "description": product.description,
            "product_type": product.product_type,
            "tag": product.tag,
            "status": product.status,
            "created_at": ts(Some(product.created_at)),
            "end_date": ts(product.end_date),
        }),
    );
    map.insert("customer_id".into(), json!(row.customer_id));
    map.insert(
        "subscription_id".into(),
        json!(row.subscription_id.to_string()),
    );
    map.insert("description".into(), json!(row.description));
    map.insert("status".into(), json!(row.status));
    map.insert("insync".into(), json!(row.insync));
    map.insert("start_date".into(), ts(row.start_date));
    map.insert("end_date".into(), ts(row.end_date));
    map.insert("note".into(), json!(row.note));
    map.insert("version".into(), json!(row.version));
    let roots = roots_of(&graph, id);
    for field in descriptor.fields {
        let v = if field.is_block() {
            let names: Vec<&str> = field.blocks().map(|b| b.name).collect();
            let blocks: Vec<Json> = roots
                .iter()
                .filter(|n| names.contains(&n.instance.block.as_str()))
                .filter_map(|n| {
                    let d = field.blocks().find(|b| b.name == n.instance.block)?;
                    Some(block_json(*n, d, &users, &value_json, 0))
                })
                .collect();
            match field.shape.cardinality {
                crate::Cardinality::List => Json::Array(blocks),
                _ => blocks.into_iter().next().unwrap_or(Json::Null),
            }
        } else {
            let stored: Vec<String> = fixed.get(field.name).cloned().into_iter().collect();
            value_json(field, &stored)
        };
        map.insert(field.name.to_owned(), v);
    }
    map.insert("customer_descriptions".into(), Json::Array(Vec::new()));
    Ok(Json::Object(map))
}
