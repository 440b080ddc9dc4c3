//! The database side of subscriptions: a fixed number of queries per batch, batched writes in
//! one transaction, and nothing written when nothing changed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{
    Expr, ExprTrait, InsertStatement, MysqlQueryBuilder, PostgresQueryBuilder, Query,
    SqliteQueryBuilder, UpdateStatement, Value,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, Statement, TransactionSession,
};
use uuid::Uuid;

use super::rows::{Graph, ReadCx, RelationRow, Rows, Writer};
use super::{Connection, Dependant, ProductRef, SubscriptionError};
use crate::entity::{fixed_inputs, products, subscriptions};
use crate::field::ConvertCx;
use crate::lifecycle::{Lifecycle, ProductLifecycle, SubscriptionLifecycle};
use crate::model::{Product, ProductInfo, StoredState, SubscriptionMeta};
use crate::registry::SUBSCRIPTION_MODEL_REGISTRY;

pub use super::load::{load, load_json, load_one};

/// Rows per multi-row statement: far below every backend's parameter limit.
const CHUNK: usize = 500;

/// Subscription ids per read: SQLite allows 32,766 parameters in a statement, PostgreSQL and
/// MySQL 65,535, so a larger batch is read (and loaded) in parts of this size.
pub(super) const ID_CHUNK: usize = 10_000;

/// What a save wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveStats {
    /// New subscription rows.
    pub subscriptions_inserted: usize,
    /// Changed subscription rows (each bumps `version` by one).
    pub subscriptions_updated: usize,
    /// New instance rows.
    pub instances_inserted: usize,
    /// Removed instance rows.
    pub instances_deleted: usize,
    /// Value rows written (of new instances and of instances whose values changed).
    pub values_written: usize,
    /// Relation rows written.
    pub relations_written: usize,
    /// Statements that changed something; 0 when nothing changed.
    pub statements: usize,
}

pub(super) fn placeholders(backend: DbBackend, start: usize, n: usize) -> String {
    (0..n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${}", start + i),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn rows<C: ConnectionTrait>(
    db: &C,
    sql: String,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, sea_orm::DbErr> {
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
}

fn build(backend: DbBackend, stmt: &impl BuildAny) -> Statement {
    let (sql, values) = stmt.build_for(backend);
    Statement::from_sql_and_values(backend, sql, values)
}

trait BuildAny {
    fn build_for(&self, backend: DbBackend) -> (String, sea_orm::sea_query::Values);
}

macro_rules! build_any {
    ($($t:ty),*) => {$(
        impl BuildAny for $t {
            fn build_for(&self, backend: DbBackend) -> (String, sea_orm::sea_query::Values) {
                match backend {
                    DbBackend::Postgres => self.build(PostgresQueryBuilder),
                    DbBackend::MySql => self.build(MysqlQueryBuilder),
                    _ => self.build(SqliteQueryBuilder),
                }
            }
        }
    )*};
}
build_any!(
    InsertStatement,
    UpdateStatement,
    sea_orm::sea_query::DeleteStatement
);

pub(super) fn check_registered<P: Product>(product: &str) -> Result<(), SubscriptionError> {
    let registry = SUBSCRIPTION_MODEL_REGISTRY.get()?;
    let registered = registry
        .product(product)
        .ok_or_else(|| SubscriptionError::NotRegistered(product.to_owned()))?;
    if std::ptr::eq(registered.product_type, P::descriptor()) {
        Ok(())
    } else {
        Err(SubscriptionError::WrongType {
            product: product.to_owned(),
            registered: registered.product_type.rust_path().to_string(),
            requested: P::descriptor().rust_path().to_string(),
        })
    }
}

pub(super) fn product_info(m: &products::Model) -> Result<ProductInfo, SubscriptionError> {
    Ok(ProductInfo {
        product_id: m.product_id,
        name: m.name.clone(),
        description: m.description.clone(),
        product_type: m.product_type.clone(),
        tag: m.tag.clone(),
        status: m
            .status
            .parse::<ProductLifecycle>()
            .map_err(|e| SubscriptionError::Metadata {
                missing: vec![format!("a valid status for product {:?}: {e}", m.name)],
            })?,
        created_at: Some(m.created_at),
        end_date: m.end_date,
    })
}

pub(super) async fn fixed_inputs_of<C: ConnectionTrait>(
    db: &C,
    product_ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, BTreeMap<String, String>>, SubscriptionError> {
    let mut out: HashMap<Uuid, BTreeMap<String, String>> = HashMap::new();
    for fi in fixed_inputs::Entity::find()
        .filter(fixed_inputs::Column::ProductId.is_in(product_ids))
        .all(db)
        .await?
    {
        out.entry(fi.product_id)
            .or_default()
            .insert(fi.name, fi.value);
    }
    Ok(out)
}

/// A new subscription of `product` for `customer_id` in lifecycle `P::Lifecycle` (normally
/// initial), with its fixed inputs read from the database and default blocks: a new block for a
/// required block field, none for an optional one, the minimum number for a list. Nothing is
/// written until it is saved.
pub async fn from_product<P: Product, C: Connection>(
    db: &C,
    product: ProductRef,
    customer_id: String,
) -> Result<P, SubscriptionError> {
    Ok(from_products::<P, C>(db, vec![(product, customer_id)])
        .await?
        .remove(0))
}

/// Many new subscriptions, each of a product (a registered name, or a product id) for a
/// customer, in lifecycle initial: one query for all their products and fixed inputs,
/// whatever the number of subscriptions. Nothing is written until they are saved.
pub async fn from_products<P: Product, C: Connection>(
    db: &C,
    requests: Vec<(ProductRef, String)>,
) -> Result<Vec<P>, SubscriptionError> {
    // the models' own mistakes first: they are not the database's
    SUBSCRIPTION_MODEL_REGISTRY.get()?;
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mut ids: BTreeSet<Uuid> = BTreeSet::new();
    for (product, _) in &requests {
        match product {
            ProductRef::Name(name) => names.insert(name.as_str()),
            ProductRef::Id(id) => ids.insert(*id),
        };
    }
    // the products and their fixed inputs in one query
    let found = products::Entity::find()
        .find_with_related(fixed_inputs::Entity)
        .filter(
            sea_orm::Condition::any()
                .add(products::Column::Name.is_in(names.iter().copied()))
                .add(products::Column::ProductId.is_in(ids.iter().copied())),
        )
        .all(db)
        .await?;
    let mut checked: BTreeSet<Uuid> = BTreeSet::new();
    let mut out = Vec::with_capacity(requests.len());
    for (product, customer_id) in requests {
        let Some((row, inputs)) = found.iter().find(|(row, _)| match &product {
            ProductRef::Name(name) => row.name == *name,
            ProductRef::Id(id) => row.product_id == *id,
        }) else {
            return Err(SubscriptionError::ProductNotFound(product));
        };
        if checked.insert(row.product_id) {
            check_registered::<P>(&row.name)?;
        }
        out.push(initial::<P>(row, inputs, customer_id)?);
    }
    Ok(out)
}

/// A new subscription of `row` with its fixed inputs `inputs`, as `P` in lifecycle initial.
fn initial<P: Product>(
    row: &products::Model,
    inputs: &[fixed_inputs::Model],
    customer_id: String,
) -> Result<P, SubscriptionError> {
    let fixed: BTreeMap<String, String> = inputs
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    let meta = SubscriptionMeta::new(Uuid::new_v4(), customer_id, product_info(row)?);
    let id = meta.subscription_id;
    let (mut cx, mut rcx) = (ConvertCx::default(), ReadCx::default());
    match P::__initial(meta, &fixed, &mut cx, &mut rcx) {
        Some(mut p) if !rcx.has_errors() => {
            p.__claim();
            debug_assert_eq!(p.meta().subscription_id, id);
            Ok(p)
        }
        _ => {
            let (missing, invalid) = cx.into_parts();
            let mut problems: Vec<String> = missing
                .into_iter()
                .map(|path| format!("{path} needs a value in every lifecycle and has no default"))
                .collect();
            problems.extend(invalid);
            problems.extend(rcx.into_errors());
            Err(SubscriptionError::Incomplete {
                type_name: P::descriptor().rust_name,
                product: row.name.clone(),
                problems,
            })
        }
    }
}

/// Saves one subscription: see [`save_all`].
pub async fn save<P: Product, C: Connection>(
    db: &C,
    sub: &mut P,
) -> Result<SaveStats, SubscriptionError> {
    save_all(db, std::slice::from_mut(sub)).await
}

/// What the database holds of one instance, for comparing.
#[derive(Default)]
struct Existing {
    block: String,
    label: Option<String>,
    values: Vec<(String, String)>,
    relations: Vec<(String, i32, Uuid)>,
}

fn by_resource_type<'a>(values: Vec<(&'a str, &'a str)>) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (rt, v) in values {
        m.entry(rt).or_default().push(v);
    }
    m
}

fn normalized_note(note: &Option<String>) -> Option<String> {
    note.as_ref().filter(|n| !n.trim().is_empty()).cloned()
}

/// Saves subscriptions in one transaction: the subscription rows, one instance per owned block,
/// their values and relations, and the removal of owned instances no longer reachable.
///
/// Only what the program changed since the subscription was loaded (or last saved) is
/// written, value by value, with batched statements; saving an unchanged subscription writes
/// nothing, and another writer's changes to other values are kept. A row that this save
/// changes and that someone else changed or deleted since the load makes the save a
/// `Conflict` that writes nothing. The subscription's own row is written only when it changed,
/// and only if its stored version is the one this copy was loaded with; the database then
/// raises `version` by one, as orchestrator-core's trigger does.
pub async fn save_all<P: Product, C: Connection>(
    db: &C,
    subs: &mut [P],
) -> Result<SaveStats, SubscriptionError> {
    if subs.is_empty() {
        return Ok(SaveStats::default());
    }
    let mut written: Vec<Rows> = Vec::with_capacity(subs.len());
    for sub in subs.iter() {
        let id = sub.meta().subscription_id;
        let mut w = Writer::new(id);
        sub.__write(&mut w);
        written.push(
            w.finish()
                .map_err(|problems| SubscriptionError::Unwritable { id, problems })?,
        );
    }
    let ids: Vec<Uuid> = subs.iter().map(|s| s.meta().subscription_id).collect();
    let busy = |e: SubscriptionError| busy_is_conflict(e, &subs[0]);
    let txn = db.begin().await?;
    let result = write_all(&txn, subs, &written, &ids).await;
    let saved = match result {
        Ok(done) => {
            txn.commit().await.map_err(|e| busy(e.into()))?;
            done
        }
        Err(e) => {
            // roll back now: a dropped transaction may hold locks until its connection is reused
            txn.rollback().await?;
            return Err(busy(e));
        }
    };

    for ((i, sub), base) in subs.iter_mut().enumerate().zip(saved.bases) {
        let meta = sub.meta_mut();
        if saved.touched[i] {
            let stored = saved.before.contains(&meta.subscription_id);
            meta.version = if stored { meta.version + 1 } else { 1 };
            meta.start_date = meta.start_date.map(|d| d.trunc_subsecs(6));
            meta.end_date = meta.end_date.map(|d| d.trunc_subsecs(6));
        }
        meta.stored = StoredState(Some(std::sync::Arc::new(base)));
        sub.__claim();
    }
    Ok(saved.stats)
}

/// What the database holds of the subscriptions a save writes.
struct Stored {
    /// Their rows, locked until the save's transaction ends.
    headers: HashMap<Uuid, subscriptions::Model>,
    /// Their instances, with values and relations.
    existing: HashMap<Uuid, Existing>,
    /// The instances each owns.
    owned_by: HashMap<Uuid, Vec<Uuid>>,
}

/// The clause that locks the rows of table `alias` a query reads until the transaction ends, so
/// that another writer (orchestrator-core updates value rows in place) waits for the save
/// instead of changing a row between its comparison and its write. SQLite's writer lock covers
/// the whole database.
fn row_lock(backend: DbBackend, alias: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(" FOR UPDATE OF {alias}"),
        DbBackend::MySql => " FOR UPDATE".to_owned(),
        _ => String::new(),
    }
}

/// Reads what is stored of `ids`: four queries per [`ID_CHUNK`] subscriptions.
async fn read_stored<T: ConnectionTrait>(
    txn: &T,
    ids: &[Uuid],
) -> Result<Stored, SubscriptionError> {
    // the rows are locked in id order (see `write_all`)
    let backend = txn.get_database_backend();
    let mut headers: HashMap<Uuid, subscriptions::Model> = HashMap::new();
    let mut existing: HashMap<Uuid, Existing> = HashMap::new();
    let mut owned_by: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    // a batch larger than ID_CHUNK is read in parts, within every backend's parameter limit
    for ids in ids.chunks(ID_CHUNK) {
        headers.extend(
            subscriptions::Entity::find()
                .filter(subscriptions::Column::SubscriptionId.is_in(ids.to_vec()))
                .order_by_asc(subscriptions::Column::SubscriptionId)
                .lock_exclusive()
                .all(txn)
                .await?
                .into_iter()
                .map(|s| (s.subscription_id, s)),
        );
        let id_values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
        let list = placeholders(backend, 1, ids.len());
        for row in rows(
            txn,
            format!(
                "SELECT i.subscription_instance_id AS id, i.subscription_id AS owner, b.name AS block, i.label AS label \
                 FROM subscription_instances i JOIN product_blocks b ON b.product_block_id = i.product_block_id \
                 WHERE i.subscription_id IN ({list}){}",
                row_lock(backend, "i")
            ),
            id_values.clone(),
        )
        .await?
        {
            let id: Uuid = row.try_get("", "id")?;
            owned_by
                .entry(row.try_get("", "owner")?)
                .or_default()
                .push(id);
            existing.insert(
                id,
                Existing {
                    block: row.try_get("", "block")?,
                    label: row.try_get("", "label")?,
                    ..Existing::default()
                },
            );
        }
        for row in rows(
            txn,
            format!(
                "SELECT v.subscription_instance_id AS id, t.resource_type AS rt, v.value AS value \
                 FROM subscription_instance_values v \
                 JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id \
                 JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
                 WHERE i.subscription_id IN ({list}) ORDER BY v.subscription_instance_value_id{}",
                row_lock(backend, "v")
            ),
            id_values.clone(),
        )
        .await?
        {
            if let Some(e) = existing.get_mut(&row.try_get::<Uuid>("", "id")?) {
                e.values
                    .push((row.try_get("", "rt")?, row.try_get("", "value")?));
            }
        }
        for row in rows(
            txn,
            format!(
                "SELECT r.in_use_by_id AS parent, r.depends_on_id AS child, r.order_id AS ord, r.domain_model_attr AS attr \
                 FROM subscription_instance_relations r \
                 JOIN subscription_instances i ON i.subscription_instance_id = r.in_use_by_id \
                 WHERE i.subscription_id IN ({list})"
            ),
            id_values,
        )
        .await?
        {
            if let Some(e) = existing.get_mut(&row.try_get::<Uuid>("", "parent")?) {
                e.relations.push((
                    row.try_get::<Option<String>>("", "attr")?.unwrap_or_default(),
                    row.try_get("", "ord")?,
                    row.try_get("", "child")?,
                ));
            }
        }
    }

    Ok(Stored {
        headers,
        existing,
        owned_by,
    })
}

/// The ids of the blocks and resource types `written` names: two queries. A name the database
/// lacks is an error listing every such name.
async fn metadata_ids<T: ConnectionTrait>(
    txn: &T,
    written: &[Rows],
    stored: &Stored,
) -> Result<(HashMap<String, Uuid>, HashMap<String, Uuid>), SubscriptionError> {
    let block_names: BTreeSet<&str> = written
        .iter()
        .flat_map(|r| r.instances.iter().map(|i| i.block))
        .collect();
    // the stored ones too: a value the program removes is deleted by its resource type's id
    let rt_names: BTreeSet<&str> = written
        .iter()
        .flat_map(|r| r.values.iter().map(|v| v.resource_type))
        .chain(
            stored
                .existing
                .values()
                .flat_map(|e| e.values.iter().map(|(rt, _)| rt.as_str())),
        )
        .collect();
    let block_ids = ids_by_name(
        txn,
        "product_blocks",
        "product_block_id",
        "name",
        &block_names,
    )
    .await?;
    let rt_ids = ids_by_name(
        txn,
        "resource_types",
        "resource_type_id",
        "resource_type",
        &rt_names,
    )
    .await?;
    let mut missing: Vec<String> = block_names
        .iter()
        .filter(|n| !block_ids.contains_key(**n))
        .map(|n| format!("product block {n:?}"))
        .collect();
    missing.extend(
        rt_names
            .iter()
            .filter(|n| !rt_ids.contains_key(**n))
            .map(|n| format!("resource type {n:?}")),
    );
    if !missing.is_empty() {
        return Err(SubscriptionError::Metadata { missing });
    }

    Ok((block_ids, rt_ids))
}

/// A subscription as it was last loaded or saved, kept in its meta ([`StoredState`]): its row
/// as the program had it, and each owned instance both as stored and as the model wrote it
/// then. A save compares three states per value: the program's (what it writes now), the
/// base's (what it wrote then, to see what the program changed) and the database's (what is
/// stored now, against the base's stored state, to see what another writer changed).
pub(crate) struct Base {
    subscription: Uuid,
    header: Header,
    stored: HashMap<Uuid, InstanceState>,
    written: HashMap<Uuid, InstanceState>,
}

/// An instance's label and values by resource type, in order.
#[derive(Debug, Clone, Default, PartialEq)]
struct InstanceState {
    label: Option<String>,
    values: BTreeMap<String, Vec<String>>,
    /// The blocks each field holds, in order.
    children: BTreeMap<String, Vec<Uuid>>,
}

/// Relations as (field, order, child) rows, as the blocks each field holds in order.
fn children_of<'a>(
    rows: impl Iterator<Item = (&'a str, i32, Uuid)>,
) -> BTreeMap<String, Vec<Uuid>> {
    let mut sorted: Vec<(&str, i32, Uuid)> = rows.collect();
    sorted.sort();
    let mut out: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for (field, _, child) in sorted {
        out.entry(field.to_owned()).or_default().push(child);
    }
    out
}

/// The columns of a `subscriptions` row a save writes, as the program has them.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    description: String,
    status: String,
    product_id: Uuid,
    customer_id: String,
    insync: bool,
    start_date: Option<DateTime<Utc>>,
    end_date: Option<DateTime<Utc>>,
    note: Option<String>,
}

impl Header {
    fn of<L: Lifecycle>(meta: &SubscriptionMeta<L>) -> Header {
        let truncate = |d: Option<DateTime<Utc>>| d.map(|d| d.trunc_subsecs(6));
        Header {
            description: meta.description.clone(),
            status: L::STATUS.as_str().to_owned(),
            product_id: meta.product.product_id,
            customer_id: meta.customer_id.clone(),
            insync: meta.insync,
            start_date: truncate(meta.start_date),
            end_date: truncate(meta.end_date),
            note: normalized_note(&meta.note),
        }
    }

    fn of_row(row: &subscriptions::Model) -> Header {
        Header {
            description: row.description.clone(),
            status: row.status.clone(),
            product_id: row.product_id,
            customer_id: row.customer_id.clone(),
            insync: row.insync,
            start_date: row.start_date,
            end_date: row.end_date,
            note: row.note.clone(),
        }
    }

    fn values(&self, id: Uuid, version: i32) -> Vec<Value> {
        vec![
            id.into(),
            version.into(),
            self.description.clone().into(),
            self.status.clone().into(),
            self.product_id.into(),
            self.customer_id.clone().into(),
            self.insync.into(),
            self.start_date.into(),
            self.end_date.into(),
            self.note.clone().into(),
        ]
    }
}

/// The instances `rows` holds, as [`InstanceState`]s.
fn states_of(rows: &Rows) -> HashMap<Uuid, InstanceState> {
    let mut out: HashMap<Uuid, InstanceState> = rows
        .instances
        .iter()
        .map(|i| {
            (
                i.id,
                InstanceState {
                    label: i.label.clone(),
                    values: BTreeMap::new(),
                    children: children_of(
                        rows.relations
                            .iter()
                            .filter(|r| r.parent == i.id)
                            .map(|r| (r.attribute, r.order, r.child)),
                    ),
                },
            )
        })
        .collect();
    for v in &rows.values {
        if let Some(state) = out.get_mut(&v.instance) {
            state
                .values
                .entry(v.resource_type.to_owned())
                .or_default()
                .push(v.value.clone());
        }
    }
    out
}

/// The base of a subscription just loaded from `graph`, or `None` when its model cannot be
/// written (then a save falls back to comparing with the database only).
pub(super) fn base_of<P: Product>(sub: &P, graph: &Graph) -> Option<Base> {
    let id = sub.meta().subscription_id;
    let mut w = Writer::new(id);
    sub.__write(&mut w);
    let rows = w.finish().ok()?;
    let stored = graph
        .instances
        .iter()
        .filter(|(_, i)| i.owner == id)
        .map(|(iid, i)| {
            (
                *iid,
                InstanceState {
                    label: i.label.clone(),
                    values: i.values.clone(),
                    children: i.children.clone(),
                },
            )
        })
        .collect();
    Some(Base {
        subscription: id,
        header: Header::of(sub.meta()),
        stored,
        written: states_of(&rows),
    })
}

/// The base a subscription carries, if it is this subscription's.
fn base_in<L>(meta: &SubscriptionMeta<L>) -> Option<&Base> {
    meta.stored
        .0
        .as_ref()?
        .downcast_ref::<Base>()
        .filter(|b| b.subscription == meta.subscription_id)
}

/// What a save writes.
#[derive(Default)]
struct Writes {
    new_subs: Vec<[Expr; 10]>,
    updates: Vec<(usize, Vec<Value>)>,
    delete_instances: Vec<Uuid>,
    new_instances: Vec<(Uuid, Uuid, Uuid, Option<String>)>,
    label_updates: Vec<(Uuid, Option<String>)>,
    /// (instance, resource type) whose stored values are replaced.
    replace_values: Vec<(Uuid, Uuid)>,
    new_values: Vec<(Uuid, Uuid, String)>,
    replace_relations: Vec<Uuid>,
    new_relations: Vec<RelationRow>,
    /// Which subscriptions' rows were inserted or updated (their `version` moves).
    touched: Vec<bool>,
    /// Each subscription's base once the save commits.
    bases: Vec<Base>,
}

/// SQLite's "database is locked" during a save as the `Conflict` it is: another process was
/// writing the same database at the same moment (SQLite cannot wait for a writer while this
/// transaction holds its read lock). Like any conflict: load again and save again.
fn busy_is_conflict<P: Product>(err: SubscriptionError, first: &P) -> SubscriptionError {
    #[allow(unused_imports)] // without SQLite there is no busy error to read
    use sea_orm::sqlx::error::DatabaseError as _;
    let busy = match &err {
        SubscriptionError::Db(
            sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
            | sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)),
        ) => match &**e {
            #[cfg(feature = "sqlite")]
            sea_orm::sqlx::Error::Database(d) => d
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .and_then(|s| s.code())
                .and_then(|c| c.parse::<i32>().ok())
                // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes
                .is_some_and(|c| matches!(c & 0xff, 5 | 6)),
            _ => false,
        },
        _ => false,
    };
    if busy { conflict(first.meta()) } else { err }
}

/// The conflict of a save with another writer's change to a row it changes too.
fn conflict<L>(meta: &SubscriptionMeta<L>) -> SubscriptionError {
    SubscriptionError::Conflict {
        id: meta.subscription_id,
        version: meta.version,
    }
}

/// Compares what each subscription holds with its base and with what is stored, and lists the
/// rows to write: only what the program changed since the subscription was loaded (or last
/// saved), and only where nobody else changed the same row since (otherwise `Conflict`).
/// Another writer's changes to other rows are kept. A subscription without a base (never
/// loaded) is compared with what is stored.
fn plan_writes<P: Product>(
    subs: &[P],
    written: &[Rows],
    stored: &Stored,
    block_ids: &HashMap<String, Uuid>,
    rt_ids: &HashMap<String, Uuid>,
) -> Result<Writes, SubscriptionError> {
    let Stored {
        headers,
        existing,
        owned_by,
    } = stored;
    let mut out = Writes {
        touched: vec![false; subs.len()],
        ..Writes::default()
    };
    for (i, (sub, rows)) in subs.iter().zip(written).enumerate() {
        let meta = sub.meta();
        let id = meta.subscription_id;
        let base = base_in(meta);
        let ours = states_of(rows);
        let mut after = ours.clone();
        let mut changed = false;
        let owned: HashSet<Uuid> = rows.instances.iter().map(|r| r.id).collect();
        for old in owned_by.get(&id).into_iter().flatten() {
            // an instance the program never saw was added by another writer: it stays
            let known = base.is_none_or(|b| b.stored.contains_key(old));
            if !owned.contains(old) && known {
                out.delete_instances.push(*old);
                changed = true;
            }
        }
        let mut relations_by: HashMap<Uuid, Vec<&RelationRow>> = HashMap::new();
        for r in &rows.relations {
            relations_by.entry(r.parent).or_default().push(r);
        }
        for inst in &rows.instances {
            let state = &ours[&inst.id];
            let rels = relations_by.remove(&inst.id).unwrap_or_default();
            let theirs = existing.get(&inst.id).filter(|e| e.block == inst.block);
            let Some(e) = theirs else {
                if base.is_some_and(|b| b.stored.contains_key(&inst.id)) {
                    // deleted by another writer since the load
                    return Err(conflict(meta));
                }
                if existing.contains_key(&inst.id) {
                    // the same id now holds another block type: replace the instance
                    out.delete_instances.push(inst.id);
                }
                out.new_instances
                    .push((inst.id, id, block_ids[inst.block], inst.label.clone()));
                for (rt, values) in &state.values {
                    out.new_values.extend(
                        values
                            .iter()
                            .map(|v| (inst.id, rt_ids[rt.as_str()], v.clone())),
                    );
                }
                out.new_relations.extend(rels.into_iter().cloned());
                changed = true;
                continue;
            };
            let their_values = by_resource_type(
                e.values
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect(),
            );
            let their_state = InstanceState {
                children: children_of(
                    e.relations
                        .iter()
                        .map(|(field, order, child)| (field.as_str(), *order, *child)),
                ),
                label: e.label.clone(),
                values: their_values
                    .iter()
                    .map(|(rt, vs)| {
                        (
                            (*rt).to_owned(),
                            vs.iter().map(|v| (*v).to_owned()).collect(),
                        )
                    })
                    .collect(),
            };
            // the program's starting point, and the database's then
            let (then_written, then_stored) = match base {
                Some(b) => (
                    b.written.get(&inst.id).cloned().unwrap_or_default(),
                    b.stored.get(&inst.id).cloned().unwrap_or_default(),
                ),
                None => (their_state.clone(), their_state.clone()),
            };
            let merged = after.get_mut(&inst.id).expect("one state per instance");
            merged.label = e.label.clone();
            if state.label != then_written.label {
                if e.label != then_stored.label {
                    return Err(conflict(meta));
                }
                out.label_updates.push((inst.id, inst.label.clone()));
                merged.label = inst.label.clone();
                changed = true;
            }
            let rts: BTreeSet<&String> = state
                .values
                .keys()
                .chain(their_state.values.keys())
                .chain(then_written.values.keys())
                .collect();
            let none = Vec::new();
            merged.values = their_state.values.clone();
            for rt in rts {
                let mine = state.values.get(rt).unwrap_or(&none);
                if mine == then_written.values.get(rt).unwrap_or(&none) {
                    continue;
                }
                let now = their_state.values.get(rt).unwrap_or(&none);
                if now != then_stored.values.get(rt).unwrap_or(&none) {
                    // the program and another writer both changed this value
                    return Err(conflict(meta));
                }
                // a value the program or the database holds has its resource type's id
                let rt_id = || rt_ids[rt.as_str()];
                if !now.is_empty() {
                    out.replace_values.push((inst.id, rt_id()));
                }
                out.new_values
                    .extend(mine.iter().map(|v| (inst.id, rt_id(), v.clone())));
                if mine.is_empty() {
                    merged.values.remove(rt);
                } else {
                    merged.values.insert(rt.clone(), mine.clone());
                }
                changed = true;
            }
            // the blocks the instance holds: as values, three ways
            merged.children = their_state.children.clone();
            if state.children != then_written.children {
                if their_state.children != then_stored.children {
                    return Err(conflict(meta));
                }
                out.replace_relations.push(inst.id);
                out.new_relations.extend(rels.into_iter().cloned());
                merged.children = state.children.clone();
                changed = true;
            }
        }
        let header = Header::of(meta);
        match headers.get(&id) {
            None => {
                out.new_subs.push([
                    id.into(),
                    header.description.clone().into(),
                    header.status.clone().into(),
                    header.product_id.into(),
                    header.customer_id.clone().into(),
                    header.insync.into(),
                    header.start_date.into(),
                    header.end_date.into(),
                    header.note.clone().into(),
                    1i32.into(),
                ]);
                out.touched[i] = true;
            }
            Some(h) => {
                // without a base, any change is written with the row, as a version check
                let then = base.map_or_else(|| Header::of_row(h), |b| b.header.clone());
                if header != then || (base.is_none() && changed) {
                    if h.version != meta.version {
                        return Err(conflict(meta));
                    }
                    out.updates.push((i, header.values(id, meta.version)));
                    out.touched[i] = true;
                }
            }
        }
        out.bases.push(Base {
            subscription: id,
            header,
            stored: after,
            written: ours,
        });
    }
    Ok(out)
}

/// Refuses to remove instances that subscriptions outside `ids` use: it would cut their
/// relations.
async fn check_in_use<T: ConnectionTrait>(
    txn: &T,
    ids: &[Uuid],
    delete_instances: &[Uuid],
) -> Result<(), SubscriptionError> {
    let backend = txn.get_database_backend();
    if !delete_instances.is_empty() {
        let saving: BTreeSet<Uuid> = ids.iter().copied().collect();
        let mut users = Vec::new();
        for chunk in delete_instances.chunks(CHUNK) {
            let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
            for row in rows(
                txn,
                format!(
                    "SELECT DISTINCT s.subscription_id AS id, s.description AS description, s.status AS status \
                     FROM subscription_instance_relations r \
                     JOIN subscription_instances p ON p.subscription_instance_id = r.in_use_by_id \
                     JOIN subscriptions s ON s.subscription_id = p.subscription_id \
                     WHERE r.depends_on_id IN ({})",
                    placeholders(backend, 1, chunk.len())
                ),
                values,
            )
            .await?
            {
                let user: Uuid = row.try_get("", "id")?;
                if !saving.contains(&user) {
                    users.push(dependant(&row)?);
                }
            }
        }
        if !users.is_empty() {
            return Err(SubscriptionError::InUse { id: ids[0], users });
        }
    }

    Ok(())
}

/// Writes `writes`: subscriptions first, then instances, values, relations; returns what was
/// written.
async fn apply_writes<P: Product, T: ConnectionTrait>(
    txn: &T,
    subs: &[P],
    writes: Writes,
) -> Result<SaveStats, SubscriptionError> {
    let backend = txn.get_database_backend();
    let mut stats = SaveStats::default();
    let Writes {
        new_subs,
        updates,
        delete_instances,
        new_instances,
        label_updates,
        replace_values,
        new_values,
        replace_relations,
        new_relations,
        ..
    } = writes;
    stats.subscriptions_inserted = new_subs.len();
    stats.statements += insert_rows(
        txn,
        "subscriptions",
        [
            "subscription_id",
            "description",
            "status",
            "product_id",
            "customer_id",
            "insync",
            "start_date",
            "end_date",
            "note",
            "version",
        ],
        new_subs,
    )
    .await?;
    for chunk in updates.chunks(CHUNK) {
        let result = txn.execute_raw(update_headers(backend, chunk)).await?;
        if result.rows_affected() != chunk.len() as u64 {
            return Err(conflict_in(txn, subs, chunk).await?);
        }
        stats.subscriptions_updated += chunk.len();
        stats.statements += 1;
    }
    stats.statements += delete_where_in(
        txn,
        "subscription_instances",
        "subscription_instance_id",
        &delete_instances,
    )
    .await?;
    stats.instances_deleted = delete_instances.len();
    stats.instances_inserted = new_instances.len();
    stats.statements += insert_rows(
        txn,
        "subscription_instances",
        [
            "subscription_instance_id",
            "subscription_id",
            "product_block_id",
            "label",
        ],
        new_instances
            .into_iter()
            .map(|(id, owner, block, label)| [id.into(), owner.into(), block.into(), label.into()])
            .collect(),
    )
    .await?;
    for (id, label) in &label_updates {
        let stmt = Query::update()
            .table("subscription_instances")
            .value("label", label.clone())
            .and_where(Expr::col("subscription_instance_id").eq(*id))
            .to_owned();
        txn.execute_raw(build(backend, &stmt)).await?;
        stats.statements += 1;
    }
    stats.statements += delete_values(txn, &replace_values).await?;
    stats.values_written = new_values.len();
    stats.statements += insert_rows(
        txn,
        "subscription_instance_values",
        [
            "subscription_instance_value_id",
            "subscription_instance_id",
            "resource_type_id",
            "value",
        ],
        new_values
            .into_iter()
            // time-ordered ids keep the order of list values
            .map(|(instance, rt, value)| {
                [
                    Uuid::now_v7().into(),
                    instance.into(),
                    rt.into(),
                    value.into(),
                ]
            })
            .collect(),
    )
    .await?;
    stats.statements += delete_where_in(
        txn,
        "subscription_instance_relations",
        "in_use_by_id",
        &replace_relations,
    )
    .await?;
    stats.relations_written = new_relations.len();
    stats.statements += insert_rows(
        txn,
        "subscription_instance_relations",
        [
            "in_use_by_id",
            "depends_on_id",
            "order_id",
            "domain_model_attr",
        ],
        new_relations
            .into_iter()
            .map(|r| {
                [
                    r.parent.into(),
                    r.child.into(),
                    r.order.into(),
                    r.attribute.into(),
                ]
            })
            .collect(),
    )
    .await?;
    Ok(stats)
}

/// The reads and writes of [`save_all`] inside its transaction: returns what was written,
/// which subscriptions changed, and which were stored before.
///
/// The subscription rows are locked (`FOR UPDATE` on PostgreSQL and MySQL, in id order so that
/// overlapping batches queue instead of deadlocking) until the transaction ends, so the version
/// compared is still the stored one when the rows are updated; SQLite's writer lock covers the
/// whole database.
async fn write_all<P: Product, T: ConnectionTrait>(
    txn: &T,
    subs: &[P],
    written: &[Rows],
    ids: &[Uuid],
) -> Result<Saved, SubscriptionError> {
    let stored = read_stored(txn, ids).await?;
    let (block_ids, rt_ids) = metadata_ids(txn, written, &stored).await?;
    let mut writes = plan_writes(subs, written, &stored, &block_ids, &rt_ids)?;
    if !writes.delete_instances.is_empty() {
        check_in_use(txn, ids, &writes.delete_instances).await?;
    }
    let touched = std::mem::take(&mut writes.touched);
    let bases = std::mem::take(&mut writes.bases);
    let stats = apply_writes(txn, subs, writes).await?;
    let before: HashSet<Uuid> = stored.headers.keys().copied().collect();
    Ok(Saved {
        stats,
        touched,
        before,
        bases,
    })
}

/// What [`write_all`] did.
struct Saved {
    stats: SaveStats,
    /// Which subscriptions' rows were inserted or updated.
    touched: Vec<bool>,
    /// Which subscriptions were stored before.
    before: HashSet<Uuid>,
    /// Each subscription's base from now on.
    bases: Vec<Base>,
}

/// Deletes the values of (instance, resource type) `pairs`, [`CHUNK`] pairs to a statement;
/// returns the number of statements.
async fn delete_values<T: ConnectionTrait>(
    txn: &T,
    pairs: &[(Uuid, Uuid)],
) -> Result<usize, SubscriptionError> {
    let backend = txn.get_database_backend();
    let mut statements = 0;
    for chunk in pairs.chunks(CHUNK) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|k| format!("({})", placeholders(backend, 2 * k + 1, 2)))
            .collect();
        let values: Vec<Value> = chunk
            .iter()
            .flat_map(|(i, rt)| [Value::from(*i), Value::from(*rt)])
            .collect();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM subscription_instance_values \
                 WHERE (subscription_instance_id, resource_type_id) IN ({})",
                tuples.join(", ")
            ),
            values,
        ))
        .await?;
        statements += 1;
    }
    Ok(statements)
}

/// Inserts `rows` into `table`, [`CHUNK`] rows to a statement; returns the number of statements.
async fn insert_rows<T: ConnectionTrait, const N: usize>(
    txn: &T,
    table: &str,
    columns: [&'static str; N],
    rows: Vec<[Expr; N]>,
) -> Result<usize, sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    let mut statements = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut stmt = Query::insert();
        stmt.into_table(table.to_owned()).columns(columns);
        for row in rows.by_ref().take(CHUNK) {
            stmt.values_panic(row);
        }
        txn.execute_raw(build(backend, &stmt)).await?;
        statements += 1;
    }
    Ok(statements)
}

/// Deletes the rows of `table` whose `column` is one of `ids`, [`CHUNK`] ids to a statement;
/// returns the number of statements.
async fn delete_where_in<T: ConnectionTrait>(
    txn: &T,
    table: &str,
    column: &str,
    ids: &[Uuid],
) -> Result<usize, sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    for chunk in ids.chunks(CHUNK) {
        let stmt = Query::delete()
            .from_table(table.to_owned())
            .and_where(Expr::col(column.to_owned()).is_in(chunk.iter().copied()))
            .to_owned();
        txn.execute_raw(build(backend, &stmt)).await?;
    }
    Ok(ids.len().div_ceil(CHUNK))
}

/// The `subscriptions` columns a changed subscription is written with, in the order of the
/// values [`write_all`] collects after the id and the loaded version.
const HEADER_COLUMNS: [&str; 8] = [
    "description",
    "status",
    "product_id",
    "customer_id",
    "insync",
    "start_date",
    "end_date",
    "note",
];

/// One statement that updates the subscription rows of `rows` (each: id, loaded version, then
/// [`HEADER_COLUMNS`]) whose stored version is still the loaded one; the version triggers raise
/// each by one. The rows are bound parameters, joined as a table: `WITH v AS (VALUES ...)
/// UPDATE ... FROM v` on PostgreSQL and SQLite, `UPDATE ... JOIN (SELECT ... UNION ALL ...)` on
/// MySQL and MariaDB.
fn update_headers(backend: DbBackend, rows: &[(usize, Vec<Value>)]) -> Statement {
    let width = 2 + HEADER_COLUMNS.len();
    let mut next = 0usize;
    let mut param = || {
        next += 1;
        match backend {
            DbBackend::Postgres => format!("${next}"),
            _ => "?".to_owned(),
        }
    };
    let sets = |target: &str| {
        HEADER_COLUMNS
            .iter()
            .map(|c| format!("{c} = v.{c}"))
            .map(|set| format!("{target}{set}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = match backend {
        DbBackend::MySql => {
            let selects: Vec<String> = rows
                .iter()
                .enumerate()
                .map(|(n, _)| {
                    let cells: Vec<String> = (0..width)
                        .map(|k| match (n, k) {
                            (0, 0) => format!("{} AS id", param()),
                            (0, 1) => format!("{} AS loaded", param()),
                            (0, k) => format!("{} AS {}", param(), HEADER_COLUMNS[k - 2]),
                            _ => param(),
                        })
                        .collect();
                    format!("SELECT {}", cells.join(", "))
                })
                .collect();
            format!(
                "UPDATE subscriptions s JOIN ({}) v ON s.subscription_id = v.id AND s.version = v.loaded SET {}",
                selects.join(" UNION ALL "),
                sets("s.")
            )
        }
        _ => {
            let tuples: Vec<String> = rows
                .iter()
                .map(|_| {
                    let cells: Vec<String> = (0..width).map(|_| param()).collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            format!(
                "WITH v (id, loaded, {}) AS (VALUES {}) UPDATE subscriptions SET {} FROM v \
                 WHERE subscriptions.subscription_id = v.id AND subscriptions.version = v.loaded",
                HEADER_COLUMNS.join(", "),
                tuples.join(", "),
                sets("")
            )
        }
    };
    let values: Vec<Value> = rows.iter().flat_map(|(_, v)| v.iter().cloned()).collect();
    Statement::from_sql_and_values(backend, sql, values)
}

/// The error of a batch in which not every subscription was updated: the first whose stored
/// version is not the loaded one plus one. The rows are locked from the version check on, so
/// this is a safety net for a database that ignores the lock; where the loaded version can no
/// longer be told apart, the first of the batch is named.
async fn conflict_in<P: Product, T: ConnectionTrait>(
    txn: &T,
    subs: &[P],
    chunk: &[(usize, Vec<Value>)],
) -> Result<SubscriptionError, SubscriptionError> {
    let ids: Vec<Uuid> = chunk
        .iter()
        .map(|(i, _)| subs[*i].meta().subscription_id)
        .collect();
    let stored: HashMap<Uuid, i32> = subscriptions::Entity::find()
        .filter(subscriptions::Column::SubscriptionId.is_in(ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.subscription_id, s.version))
        .collect();
    let conflicting = chunk
        .iter()
        .map(|(i, _)| subs[*i].meta())
        .find(|m| stored.get(&m.subscription_id) != Some(&(m.version + 1)))
        .unwrap_or_else(|| subs[chunk[0].0].meta());
    Ok(SubscriptionError::Conflict {
        id: conflicting.subscription_id,
        version: conflicting.version,
    })
}

async fn ids_by_name<C: ConnectionTrait>(
    db: &C,
    table: &str,
    id: &str,
    name: &str,
    names: &BTreeSet<&str>,
) -> Result<HashMap<String, Uuid>, sea_orm::DbErr> {
    let mut out = HashMap::new();
    if names.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let values: Vec<Value> = names.iter().map(|n| Value::from(*n)).collect();
    for row in rows(
        db,
        format!(
            "SELECT {id} AS id, {name} AS name FROM {table} WHERE {name} IN ({})",
            placeholders(backend, 1, names.len())
        ),
        values,
    )
    .await?
    {
        out.insert(row.try_get("", "name")?, row.try_get("", "id")?);
    }
    Ok(out)
}

fn dependant(row: &QueryResult) -> Result<Dependant, SubscriptionError> {
    let status: String = row.try_get("", "status")?;
    Ok(Dependant {
        subscription_id: row.try_get("", "id")?,
        description: row.try_get("", "description")?,
        status: status.parse().unwrap_or(SubscriptionLifecycle::Initial),
    })
}

/// Refuses a move of subscription `id` to `target` while another subscription uses one of its
/// blocks and is in a lifecycle that `target` would leave unsafe (orchestrator-core's table of
/// safe transitions), naming each such subscription.
pub async fn check_dependants<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    target: SubscriptionLifecycle,
) -> Result<(), SubscriptionError> {
    let backend = db.get_database_backend();
    let found = rows(
        db,
        format!(
            "SELECT DISTINCT s.subscription_id AS id, s.description AS description, s.status AS status \
             FROM subscription_instance_relations r \
             JOIN subscription_instances c ON c.subscription_instance_id = r.depends_on_id \
             JOIN subscription_instances p ON p.subscription_instance_id = r.in_use_by_id \
             JOIN subscriptions s ON s.subscription_id = p.subscription_id \
             WHERE c.subscription_id = {} AND p.subscription_id <> {}",
            placeholders(backend, 1, 1),
            placeholders(backend, 2, 1)
        ),
        vec![id.into(), id.into()],
    )
    .await?;
    let safe = target.safe_for_dependants();
    let mut dependants = Vec::new();
    for row in &found {
        let d = dependant(row)?;
        if !safe.contains(&d.status) {
            dependants.push(d);
        }
    }
    dependants.sort_by_key(|d| d.subscription_id);
    if dependants.is_empty() {
        Ok(())
    } else {
        Err(SubscriptionError::UnsafeTransition {
            id,
            target,
            dependants,
        })
    }
}

/// Sets `start_date` when moving to active and `end_date` when moving to terminated, when unset.
pub fn stamp_dates<L>(meta: &mut SubscriptionMeta<L>, target: SubscriptionLifecycle) {
    let now = Utc::now().trunc_subsecs(6);
    match target {
        SubscriptionLifecycle::Active => {
            meta.start_date.get_or_insert(now);
        }
        SubscriptionLifecycle::Terminated => {
            meta.end_date.get_or_insert(now);
        }
        _ => {}
    }
}
