//! The SQL of each [`Op`], per backend, built with sea-query.
//!
//! Rows are found by name with scalar subqueries, values are bound parameters, and new ids are
//! made by the database when the statement runs (`gen_random_uuid()` on PostgreSQL,
//! `UNHEX(REPLACE(UUID(),'-',''))` on MariaDB, a version-4 UUID built from `randomblob` on
//! SQLite), so a statement never carries an id read elsewhere and set-based inserts get one id
//! per row.
//!
//! Child-instance backfills are set-based too: new child instances are inserted with a
//! temporary label naming their parent (`orch:backfill:<hex id>`), linked to the parent by
//! that label, and the label is cleared again, all in three statements per child position.

use sea_orm::sea_query::{
    Alias, BinOper, CommonTableExpression, DeleteStatement, Expr, ExprTrait, Func, InsertStatement,
    MysqlQueryBuilder, PostgresQueryBuilder, Query, QueryStatementBuilder, QueryStatementWriter,
    SelectStatement, SqliteQueryBuilder, UpdateStatement, Value, Values, WithClause,
};
use sea_orm::{DbBackend, Statement};

use super::op::Op;

/// One statement of a step.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// An `INSERT`.
    Insert(InsertStatement),
    /// An `UPDATE`.
    Update(UpdateStatement),
    /// A `DELETE`.
    Delete(DeleteStatement),
}

impl Stmt {
    /// The statement with bound parameters, ready to execute.
    pub fn build(&self, backend: DbBackend) -> Statement {
        let (sql, values) = match backend {
            DbBackend::Postgres => self.build_with(PostgresQueryBuilder),
            DbBackend::MySql => self.build_with(MysqlQueryBuilder),
            _ => self.build_with(SqliteQueryBuilder),
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

    fn build_with<B: sea_orm::sea_query::QueryBuilder>(
        &self,
        b: B,
    ) -> (String, sea_orm::sea_query::Values) {
        match self {
            Stmt::Insert(s) => s.build(b),
            Stmt::Update(s) => s.build(b),
            Stmt::Delete(s) => s.build(b),
        }
    }

    /// The statement with its values written inline, for reading (`--sql`); never executed.
    pub fn to_sql(&self, backend: DbBackend) -> String {
        fn with<S: QueryStatementWriter>(s: &S, backend: DbBackend) -> String {
            match backend {
                DbBackend::Postgres => s.to_string(PostgresQueryBuilder),
                DbBackend::MySql => s.to_string(MysqlQueryBuilder),
                _ => s.to_string(SqliteQueryBuilder),
            }
        }
        match self {
            Stmt::Insert(s) => with(s, backend),
            Stmt::Update(s) => with(s, backend),
            Stmt::Delete(s) => with(s, backend),
        }
    }
}

/// The elements of a list for every instance of `block` without a value of `resource_type`, in
/// one statement: its selects all see the table as it was before it ran, so an instance gets
/// every element or none. The ids of element `k` start with the 48 bits of (now in ms + k), as
/// a version-7 id does, so loading returns the elements in order; the other bits are random.
/// `value` for every instance of `block` without a value of `resource_type`; with
/// `lifecycles`, only for instances of subscriptions in one of them.
fn backfill_value(
    backend: DbBackend,
    block: &str,
    resource_type: &str,
    value: &str,
    lifecycles: Option<&[&str]>,
) -> Stmt {
    let si = Alias::new("si");
    let has_value = value_of(&si, resource_type);
    let mut select = Query::select()
        .expr(new_id(backend))
        .column((si.clone(), "subscription_instance_id"))
        .expr(resource_type_id(resource_type))
        .expr(Expr::val(value))
        .from_as("subscription_instances", si.clone())
        .and_where(Expr::col((si.clone(), "product_block_id")).eq(block_id(block)))
        .and_where(Expr::not_exists(has_value))
        .to_owned();
    if let Some(lifecycles) = lifecycles {
        let in_lifecycle = Query::select()
            .column("subscription_id")
            .from("subscriptions")
            .and_where(Expr::col("status").is_in(lifecycles.iter().map(|l| (*l).to_owned())))
            .to_owned();
        select.and_where(Expr::col((si, "subscription_id")).in_subquery(in_lifecycle));
    }
    insert_values(select)
}

fn backfill_list(
    backend: DbBackend,
    block: &str,
    resource_type: &str,
    values: &[&str],
) -> Option<Stmt> {
    let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
    let si = Alias::new("si");
    let mut selects = values.iter().enumerate().map(|(k, value)| {
        let has_value = value_of(&si, resource_type);
        Query::select()
            .expr(id_with_prefix(backend, now + k as u64))
            .column((si.clone(), "subscription_instance_id"))
            .expr(resource_type_id(resource_type))
            .expr(Expr::val(*value))
            .from_as("subscription_instances", si.clone())
            .and_where(Expr::col((si.clone(), "product_block_id")).eq(block_id(block)))
            .and_where(Expr::not_exists(has_value))
            .to_owned()
    });
    let mut select = selects.next()?;
    for next in selects {
        select.union(sea_orm::sea_query::UnionType::All, next);
    }
    Some(insert_values(select))
}

/// Value rows from `select`, which yields (value id, instance id, resource type id, value).
fn insert_values(select: SelectStatement) -> Stmt {
    Stmt::Insert(
        Query::insert()
            .into_table("subscription_instance_values")
            .columns([
                "subscription_instance_value_id",
                "subscription_instance_id",
                "resource_type_id",
                "value",
            ])
            .select_from(select)
            .expect("columns match the select")
            .to_owned(),
    )
}

/// `SELECT 1` from the values of `resource_type` on the instance aliased `si`: a backfill
/// fills an instance where this finds nothing.
fn value_of(si: &Alias, resource_type: &str) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from_as("subscription_instance_values", Alias::new("v"))
        .and_where(
            Expr::col((Alias::new("v"), "subscription_instance_id"))
                .equals((si.clone(), "subscription_instance_id")),
        )
        .and_where(
            Expr::col((Alias::new("v"), "resource_type_id")).eq(resource_type_id(resource_type)),
        )
        .to_owned()
}

/// A fresh id whose first 48 bits are `prefix` and the rest random, evaluated per row.
fn id_with_prefix(backend: DbBackend, prefix: u64) -> Expr {
    let hex = format!("{:012x}", prefix & 0xffff_ffff_ffff);
    match backend {
        DbBackend::Postgres => Expr::cust(format!(
            "CAST(OVERLAY(CAST(gen_random_uuid() AS text) PLACING '{}-{}' FROM 1 FOR 13) AS uuid)",
            &hex[..8],
            &hex[8..]
        )),
        DbBackend::MySql => Expr::cust(format!(
            "UNHEX(CONCAT('{hex}', SUBSTR(MD5(RAND()), 1, 20)))"
        )),
        _ => Expr::cust(format!(
            "unhex('{hex}' || '4' || substr(hex(randomblob(2)), 2) || \
             substr('89AB', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(8)), 2))"
        )),
    }
}

/// A fresh UUID made by the database, evaluated per row: version 4 on PostgreSQL and SQLite
/// (random bits with the version and variant set), version 1 on MariaDB (`UUID()`).
fn new_id(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust("gen_random_uuid()"),
        DbBackend::MySql => Expr::cust("UNHEX(REPLACE(UUID(), '-', ''))"),
        _ => Expr::cust(
            "unhex(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || \
             substr('89AB', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(8)), 2))",
        ),
    }
}

fn lookup(table: &'static str, id: &'static str, column: &'static str, name: &str) -> Expr {
    Expr::from(
        Query::select()
            .column(id)
            .from(table)
            .and_where(Expr::col((table, column)).eq(name))
            .to_owned()
            .into_sub_query_statement(),
    )
}

fn product_id(name: &str) -> Expr {
    lookup("products", "product_id", "name", name)
}

fn block_id(name: &str) -> Expr {
    lookup("product_blocks", "product_block_id", "name", name)
}

fn resource_type_id(name: &str) -> Expr {
    lookup("resource_types", "resource_type_id", "resource_type", name)
}

/// `SELECT subscription_id FROM subscriptions WHERE product_id = P(product)`.
fn subscriptions_of(product: &str) -> SelectStatement {
    Query::select()
        .column("subscription_id")
        .from("subscriptions")
        .and_where(Expr::col(("subscriptions", "product_id")).eq(product_id(product)))
        .to_owned()
}

/// `SELECT subscription_instance_id FROM subscription_instances WHERE product_block_id = B(block)`.
fn instances_of(block: &str) -> SelectStatement {
    Query::select()
        .column("subscription_instance_id")
        .from("subscription_instances")
        .and_where(Expr::col(("subscription_instances", "product_block_id")).eq(block_id(block)))
        .to_owned()
}

/// What a step that inserts one row inserts: rows of consecutive steps of one kind go into one
/// statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Product,
    FixedInput,
    Block,
    ResourceType,
    RootBlock,
    BlockRelation,
    BlockResourceType,
}

/// The kind of row `op` inserts and the values it gives, when it inserts one row.
fn insert_row(op: &Op<&str, Vec<&str>>) -> Option<(RowKind, Vec<Value>)> {
    let s = |v: &str| Value::from(v);
    let opt = |v: Option<&str>| Value::from(v.map(str::to_owned));
    Some(match *op {
        Op::CreateProduct {
            name,
            product_type,
            description,
            tag,
            status,
        } => (
            RowKind::Product,
            vec![s(name), s(description), s(product_type), s(tag), s(status)],
        ),
        Op::CreateFixedInput {
            product,
            name,
            value,
        } => (RowKind::FixedInput, vec![s(product), s(name), s(value)]),
        Op::CreateProductBlock {
            name,
            description,
            tag,
            status,
        } => (
            RowKind::Block,
            vec![s(name), s(description), opt(tag), opt(status)],
        ),
        Op::CreateResourceType { name, description } => {
            (RowKind::ResourceType, vec![s(name), opt(description)])
        }
        Op::LinkProductBlock { product, block } => (RowKind::RootBlock, vec![s(product), s(block)]),
        Op::LinkBlockRelation {
            in_use_by,
            depends_on,
            min,
            max,
        } => (
            RowKind::BlockRelation,
            vec![s(in_use_by), s(depends_on), min.into(), max.into()],
        ),
        Op::LinkResourceType {
            block,
            resource_type,
        } => (RowKind::BlockResourceType, vec![s(block), s(resource_type)]),
        _ => return None,
    })
}

impl RowKind {
    /// The names of the values [`insert_row`] gives, in order.
    fn inputs(self) -> &'static [&'static str] {
        match self {
            RowKind::Product => &["name", "description", "product_type", "tag", "status"],
            RowKind::FixedInput => &["product", "name", "value"],
            RowKind::Block => &["name", "description", "tag", "status"],
            RowKind::ResourceType => &["resource_type", "description"],
            RowKind::RootBlock => &["product", "block"],
            RowKind::BlockRelation => &["in_use_by", "depends_on", "min", "max"],
            RowKind::BlockResourceType => &["block", "resource_type"],
        }
    }

    /// The table, its columns, and the expressions that fill them: the step's values through
    /// `input`, the ids of the rows it names through `find(table, id column, name column,
    /// input)`, and a new row's id made by the database.
    fn shape(
        self,
        backend: DbBackend,
        input: &dyn Fn(&'static str) -> Expr,
        find: &mut dyn FnMut(&'static str, &'static str, &'static str, &'static str) -> Expr,
    ) -> (&'static str, &'static [&'static str], Vec<Expr>) {
        let new = |inputs: &[&'static str]| {
            std::iter::once(new_id(backend))
                .chain(inputs.iter().map(|c| input(c)))
                .collect()
        };
        match self {
            RowKind::Product => (
                "products",
                &[
                    "product_id",
                    "name",
                    "description",
                    "product_type",
                    "tag",
                    "status",
                ],
                new(self.inputs()),
            ),
            RowKind::Block => (
                "product_blocks",
                &["product_block_id", "name", "description", "tag", "status"],
                new(self.inputs()),
            ),
            RowKind::ResourceType => (
                "resource_types",
                &["resource_type_id", "resource_type", "description"],
                new(self.inputs()),
            ),
            RowKind::FixedInput => (
                "fixed_inputs",
                &["fixed_input_id", "name", "value", "product_id"],
                vec![
                    new_id(backend),
                    input("name"),
                    input("value"),
                    find("products", "product_id", "name", "product"),
                ],
            ),
            RowKind::RootBlock => (
                "product_product_blocks",
                &["product_id", "product_block_id"],
                vec![
                    find("products", "product_id", "name", "product"),
                    find("product_blocks", "product_block_id", "name", "block"),
                ],
            ),
            RowKind::BlockRelation => (
                "product_block_relations",
                &["in_use_by_id", "depends_on_id", "min", "max"],
                vec![
                    find("product_blocks", "product_block_id", "name", "in_use_by"),
                    find("product_blocks", "product_block_id", "name", "depends_on"),
                    input("min"),
                    input("max"),
                ],
            ),
            RowKind::BlockResourceType => (
                "product_block_resource_types",
                &["product_block_id", "resource_type_id"],
                vec![
                    find("product_blocks", "product_block_id", "name", "block"),
                    find(
                        "resource_types",
                        "resource_type_id",
                        "resource_type",
                        "resource_type",
                    ),
                ],
            ),
        }
    }

    /// One `INSERT` of `rows`.
    ///
    /// On PostgreSQL and SQLite the values are a table `v` (`WITH v (...) AS (VALUES ...)`)
    /// and names are found by joining it with the tables they name: a statement of 1,000
    /// rows is planned once. The joins are outer, so a name that is not there gives a NULL
    /// id, which the column refuses: the statement fails and inserts nothing.
    ///
    /// On MariaDB each row is a `VALUES` row that finds its names with scalar subqueries,
    /// which MariaDB resolves as constant lookups: there (10.11) the table value constructor
    /// of a prepared `INSERT ... SELECT` with bound parameters inserted empty strings and a
    /// stray id instead of the values (caught by the tests in `tests/tests/apply.rs`).
    fn statement(self, rows: Vec<Vec<Value>>, backend: DbBackend) -> Stmt {
        let position = |name: &str| {
            self.inputs()
                .iter()
                .position(|c| *c == name)
                .expect("an input of this kind")
        };
        if backend == DbBackend::MySql {
            let mut target = None;
            let mut values = Vec::new();
            for row in rows {
                let input = |name: &'static str| Expr::val(row[position(name)].clone());
                let mut find = |table: &'static str, id: &'static str, column: &'static str, by| {
                    Expr::from(
                        Query::select()
                            .column(id)
                            .from(table)
                            .and_where(Expr::col((table, column)).eq(row[position(by)].clone()))
                            .to_owned()
                            .into_sub_query_statement(),
                    )
                };
                let (table, columns, exprs) = self.shape(backend, &input, &mut find);
                target.get_or_insert((table, columns));
                values.push(exprs);
            }
            let (table, columns) = target.expect("a batch has a row");
            let mut insert = Query::insert();
            insert.into_table(table).columns(columns.iter().copied());
            for exprs in values {
                insert.values_panic(exprs);
            }
            return Stmt::Insert(insert);
        }
        let v = Alias::new("v");
        let input = |name: &'static str| {
            let column = Expr::col((v.clone(), Alias::new(name)));
            // a NULL written inline in VALUES (`up --sql`) is text to PostgreSQL
            if matches!(name, "min" | "max") {
                column.cast_as(Alias::new("integer"))
            } else {
                column
            }
        };
        let mut select = Query::select();
        let mut joined = 0;
        let mut find = |table: &'static str, id: &'static str, column: &'static str, by| {
            joined += 1;
            let alias = Alias::new(format!("n{joined}"));
            select.join_as(
                sea_orm::sea_query::JoinType::LeftJoin,
                table,
                alias.clone(),
                Expr::col((alias.clone(), column)).equals((v.clone(), Alias::new(by))),
            );
            Expr::col((alias, id))
        };
        let (table, columns, exprs) = self.shape(backend, &input, &mut find);
        let values = CommonTableExpression::new()
            .table_name(v.clone())
            .columns(self.inputs().iter().map(|c| Alias::new(*c)))
            .values(rows.into_iter().map(Values).collect())
            .to_owned();
        select
            .exprs(exprs)
            .from(v)
            .with_cte(WithClause::new().cte(values).to_owned());
        Stmt::Insert(
            Query::insert()
                .into_table(table)
                .columns(columns.iter().copied())
                .select_from(select)
                .expect("columns match the select")
                .to_owned(),
        )
    }
}

/// What a delete by name removes: a product, a product block or a resource type, each with
/// what depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Product,
    Block,
    ResourceType,
}

/// The kind and name of a step that deletes one named row; the names of consecutive steps of
/// one kind go into one list.
fn named_delete<'a>(op: &Op<&'a str, Vec<&'a str>>) -> Option<(Named, &'a str)> {
    match *op {
        Op::DeleteProduct { name } => Some((Named::Product, name)),
        Op::DeleteProductBlock { name } => Some((Named::Block, name)),
        Op::DeleteResourceType { name } => Some((Named::ResourceType, name)),
        _ => None,
    }
}

impl Named {
    /// `SELECT <id> FROM <table> WHERE <name column> IN (names)`.
    fn ids(self, names: &[&str]) -> SelectStatement {
        let (table, id, column) = match self {
            Named::Product => ("products", "product_id", "name"),
            Named::Block => ("product_blocks", "product_block_id", "name"),
            Named::ResourceType => ("resource_types", "resource_type_id", "resource_type"),
        };
        Query::select()
            .column(id)
            .from(table)
            .and_where(Expr::col((table, column)).is_in(names.iter().copied()))
            .to_owned()
    }

    /// The statements that delete every row named in `names`, with what depends on them.
    fn statements(self, names: &[&str]) -> Vec<Stmt> {
        let delete = |table: &'static str, column: &'static str, ids: SelectStatement| {
            Stmt::Delete(
                Query::delete()
                    .from_table(table)
                    .and_where(Expr::col(column).in_subquery(ids))
                    .to_owned(),
            )
        };
        let by_name = |table: &'static str, column: &'static str| {
            Stmt::Delete(
                Query::delete()
                    .from_table(table)
                    .and_where(Expr::col(column).is_in(names.iter().copied()))
                    .to_owned(),
            )
        };
        match self {
            Named::Product => {
                let subscriptions = Query::select()
                    .column("subscription_id")
                    .from("subscriptions")
                    .and_where(Expr::col("product_id").in_subquery(self.ids(names)))
                    .to_owned();
                let linked = Query::select()
                    .column("pid")
                    .from("processes_subscriptions")
                    .and_where(Expr::col("subscription_id").in_subquery(subscriptions.clone()))
                    .to_owned();
                let elsewhere = Query::select()
                    .column("pid")
                    .from("processes_subscriptions")
                    .and_where(Expr::col("subscription_id").not_in_subquery(subscriptions.clone()))
                    .to_owned();
                vec![
                    // processes that touched only these products' subscriptions go with them
                    Stmt::Delete(
                        Query::delete()
                            .from_table("processes")
                            .and_where(Expr::col("pid").in_subquery(linked))
                            .and_where(Expr::col("pid").not_in_subquery(elsewhere))
                            .to_owned(),
                    ),
                    delete("processes_subscriptions", "subscription_id", subscriptions),
                    // instances, values, relations, descriptions and metadata cascade
                    delete("subscriptions", "product_id", self.ids(names)),
                    // fixed inputs and links cascade
                    by_name("products", "name"),
                ]
            }
            Named::Block => vec![
                delete(
                    "subscription_instances",
                    "product_block_id",
                    self.ids(names),
                ),
                by_name("product_blocks", "name"),
            ],
            Named::ResourceType => vec![
                delete(
                    "subscription_instance_values",
                    "resource_type_id",
                    self.ids(names),
                ),
                by_name("resource_types", "resource_type"),
            ],
        }
    }
}

/// How many consecutive steps of one kind share a statement: rows of an insert, or names of a
/// delete. The widest row binds 5 values and a delete binds its names 3 times, so a statement
/// binds at most 5,000 parameters, well below every backend's limit (SQLite 32,766,
/// PostgreSQL and MariaDB 65,535), and stays small enough to plan quickly.
pub const STEPS_PER_STATEMENT: usize = 1000;

/// Consecutive steps that run as one list of statements.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The steps, as indexes into the list given to [`batches`].
    pub steps: std::ops::Range<usize>,
    /// Their statements, in execution order.
    pub statements: Vec<Stmt>,
}

/// The statements of `ops` on `backend`, set-based: consecutive steps that each insert one row
/// of the same table become one multi-row insert, and consecutive deletes of named products,
/// blocks or resource types one delete of a list of names, up to [`STEPS_PER_STATEMENT`]
/// steps each; every other step is a batch of its own. Rows are still found by name and
/// values bound, so a batch does exactly what its steps do one by one, in as many statements
/// as a single step: a catalogue's first migration costs a few dozen statements, not one or
/// more per step.
pub fn batches<S: AsRef<str>, L: AsRef<[S]>>(ops: &[Op<S, L>], backend: DbBackend) -> Vec<Batch> {
    let ops: Vec<Op<&str, Vec<&str>>> = ops.iter().map(|op| op.map(AsRef::as_ref)).collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < ops.len() {
        let first = &ops[start];
        let same_kind =
            |op: &Op<&str, Vec<&str>>| std::mem::discriminant(op) == std::mem::discriminant(first);
        let end = start
            + ops[start..]
                .iter()
                .take(STEPS_PER_STATEMENT)
                .take_while(|op| same_kind(op))
                .count();
        let group = &ops[start..end];
        let statements = if let Some((kind, _)) = insert_row(first) {
            let rows = group
                .iter()
                .filter_map(insert_row)
                .map(|(_, row)| row)
                .collect();
            vec![kind.statement(rows, backend)]
        } else if let Some((kind, _)) = named_delete(first) {
            let names: Vec<&str> = group
                .iter()
                .filter_map(named_delete)
                .map(|(_, name)| name)
                .collect();
            kind.statements(&names)
        } else {
            // a step of another kind runs alone
            let end = start + 1;
            out.push(Batch {
                steps: start..end,
                statements: other_statements(first.clone(), backend),
            });
            start = end;
            continue;
        };
        out.push(Batch {
            steps: start..end,
            statements,
        });
        start = end;
    }
    out
}

const BACKFILL_LABEL: &str = "orch:backfill:";

/// The temporary label of a child instance created under parent instance `p`.
fn backfill_label(backend: DbBackend) -> Expr {
    let id = Expr::col((Alias::new("p"), "subscription_instance_id"));
    match backend {
        DbBackend::MySql => Func::cust("CONCAT")
            .arg(Expr::val(BACKFILL_LABEL))
            .arg(Func::cust("HEX").arg(id))
            .into(),
        DbBackend::Postgres => Expr::val(BACKFILL_LABEL).binary(
            BinOper::Custom("||"),
            Func::cust("encode")
                .arg(Func::cust("uuid_send").arg(id))
                .arg(Expr::val("hex")),
        ),
        _ => Expr::val(BACKFILL_LABEL).binary(BinOper::Custom("||"), Func::cust("hex").arg(id)),
    }
}

/// The statements of `op` on `backend`, in execution order.
pub fn statements<S: AsRef<str>, L: AsRef<[S]>>(op: &Op<S, L>, backend: DbBackend) -> Vec<Stmt> {
    let op = op.map(AsRef::as_ref);
    if let Some((kind, row)) = insert_row(&op) {
        return vec![kind.statement(vec![row], backend)];
    }
    if let Some((kind, name)) = named_delete(&op) {
        return kind.statements(&[name]);
    }
    other_statements(op, backend)
}

/// The statements of a step that is neither one row of an insert nor a delete by name.
fn other_statements(op: Op<&str, Vec<&str>>, backend: DbBackend) -> Vec<Stmt> {
    match op {
        Op::CreateProduct { .. }
        | Op::CreateFixedInput { .. }
        | Op::CreateProductBlock { .. }
        | Op::CreateResourceType { .. }
        | Op::LinkProductBlock { .. }
        | Op::LinkBlockRelation { .. }
        | Op::LinkResourceType { .. }
        | Op::DeleteProduct { .. }
        | Op::DeleteProductBlock { .. }
        | Op::DeleteResourceType { .. } => {
            unreachable!("rows and deletes by name are built by `statements`")
        }

        Op::SetProductType { name, product_type } => vec![Stmt::Update(
            Query::update()
                .table("products")
                .value("product_type", product_type)
                .and_where(Expr::col("name").eq(name))
                .to_owned(),
        )],
        Op::DeleteFixedInput { product, name } => vec![Stmt::Delete(
            Query::delete()
                .from_table("fixed_inputs")
                .and_where(Expr::col("name").eq(name))
                .and_where(Expr::col("product_id").eq(product_id(product)))
                .to_owned(),
        )],
        Op::RenameFixedInput { product, from, to } => vec![Stmt::Update(
            Query::update()
                .table("fixed_inputs")
                .value("name", to)
                .and_where(Expr::col("name").eq(from))
                .and_where(Expr::col("product_id").eq(product_id(product)))
                .to_owned(),
        )],
        Op::RenameResourceType { from, to } => vec![Stmt::Update(
            Query::update()
                .table("resource_types")
                .value("resource_type", to)
                .and_where(Expr::col("resource_type").eq(from))
                .to_owned(),
        )],
        Op::UnlinkProductBlock { product, block } => vec![Stmt::Delete(
            Query::delete()
                .from_table("product_product_blocks")
                .and_where(Expr::col("product_id").eq(product_id(product)))
                .and_where(Expr::col("product_block_id").eq(block_id(block)))
                .to_owned(),
        )],
        Op::UnlinkBlockRelation {
            in_use_by,
            depends_on,
        } => vec![Stmt::Delete(
            Query::delete()
                .from_table("product_block_relations")
                .and_where(Expr::col("in_use_by_id").eq(block_id(in_use_by)))
                .and_where(Expr::col("depends_on_id").eq(block_id(depends_on)))
                .to_owned(),
        )],
        Op::SetBlockRelationBounds {
            in_use_by,
            depends_on,
            min,
            max,
        } => vec![Stmt::Update(
            Query::update()
                .table("product_block_relations")
                .value("min", min)
                .value("max", max)
                .and_where(Expr::col("in_use_by_id").eq(block_id(in_use_by)))
                .and_where(Expr::col("depends_on_id").eq(block_id(depends_on)))
                .to_owned(),
        )],
        Op::UnlinkResourceType {
            block,
            resource_type,
        } => vec![
            Stmt::Delete(
                Query::delete()
                    .from_table("subscription_instance_values")
                    .and_where(Expr::col("resource_type_id").eq(resource_type_id(resource_type)))
                    .and_where(
                        Expr::col("subscription_instance_id").in_subquery(instances_of(block)),
                    )
                    .to_owned(),
            ),
            Stmt::Delete(
                Query::delete()
                    .from_table("product_block_resource_types")
                    .and_where(Expr::col("product_block_id").eq(block_id(block)))
                    .and_where(Expr::col("resource_type_id").eq(resource_type_id(resource_type)))
                    .to_owned(),
            ),
        ],
        Op::MoveResourceType { block, from, to } => vec![
            Stmt::Update(
                Query::update()
                    .table("product_block_resource_types")
                    .value("resource_type_id", resource_type_id(to))
                    .and_where(Expr::col("product_block_id").eq(block_id(block)))
                    .and_where(Expr::col("resource_type_id").eq(resource_type_id(from)))
                    .to_owned(),
            ),
            Stmt::Update(
                Query::update()
                    .table("subscription_instance_values")
                    .value("resource_type_id", resource_type_id(to))
                    .and_where(Expr::col("resource_type_id").eq(resource_type_id(from)))
                    .and_where(
                        Expr::col("subscription_instance_id").in_subquery(instances_of(block)),
                    )
                    .to_owned(),
            ),
        ],
        Op::BackfillValue {
            block,
            resource_type,
            value,
        } => vec![backfill_value(backend, block, resource_type, value, None)],
        Op::BackfillValueIn {
            block,
            resource_type,
            value,
            lifecycles,
        } => vec![backfill_value(
            backend,
            block,
            resource_type,
            value,
            Some(&lifecycles),
        )],
        Op::BackfillValues {
            block,
            resource_type,
            values,
        } => backfill_list(backend, block, resource_type, &values)
            .into_iter()
            .collect(),
        Op::BackfillRootInstances { product, block } => {
            let s = Alias::new("s");
            let has_instance = Query::select()
                .expr(Expr::val(1))
                .from_as("subscription_instances", Alias::new("si"))
                .and_where(
                    Expr::col((Alias::new("si"), "subscription_id"))
                        .equals((s.clone(), "subscription_id")),
                )
                .and_where(Expr::col((Alias::new("si"), "product_block_id")).eq(block_id(block)))
                .to_owned();
            let select = Query::select()
                .expr(new_id(backend))
                .column((s.clone(), "subscription_id"))
                .expr(block_id(block))
                .from_as("subscriptions", s.clone())
                .and_where(Expr::col((s, "product_id")).eq(product_id(product)))
                .and_where(Expr::not_exists(has_instance))
                .to_owned();
            vec![Stmt::Insert(
                Query::insert()
                    .into_table("subscription_instances")
                    .columns([
                        "subscription_instance_id",
                        "subscription_id",
                        "product_block_id",
                    ])
                    .select_from(select)
                    .expect("columns match the select")
                    .to_owned(),
            )]
        }
        Op::BackfillChildInstances {
            parent,
            child,
            attribute,
            count,
        } => (0..count)
            .flat_map(|order| backfill_child(backend, parent, child, attribute, order as i32))
            .collect(),
        Op::DeleteRootInstances { product, block } => vec![Stmt::Delete(
            Query::delete()
                .from_table("subscription_instances")
                .and_where(Expr::col("product_block_id").eq(block_id(block)))
                .and_where(Expr::col("subscription_id").in_subquery(subscriptions_of(product)))
                // root instances only: an instance another one uses is a nested block the
                // subscription held before, not one `BackfillRootInstances` made
                .and_where(
                    Expr::col("subscription_instance_id").not_in_subquery(
                        Query::select()
                            .column("depends_on_id")
                            .from("subscription_instance_relations")
                            .to_owned(),
                    ),
                )
                .to_owned(),
        )],
        Op::DeleteChildInstances {
            parent,
            child,
            attribute,
        } => {
            let (r, p, c) = (Alias::new("r"), Alias::new("p"), Alias::new("c"));
            let owned_children = Query::select()
                .expr_as(Expr::col((r.clone(), "depends_on_id")), Alias::new("id"))
                .from_as("subscription_instance_relations", r.clone())
                .join_as(
                    sea_orm::sea_query::JoinType::InnerJoin,
                    "subscription_instances",
                    p.clone(),
                    Expr::col((p.clone(), "subscription_instance_id"))
                        .equals((r.clone(), "in_use_by_id")),
                )
                .join_as(
                    sea_orm::sea_query::JoinType::InnerJoin,
                    "subscription_instances",
                    c.clone(),
                    Expr::col((c.clone(), "subscription_instance_id"))
                        .equals((r.clone(), "depends_on_id")),
                )
                .and_where(Expr::col((p.clone(), "product_block_id")).eq(block_id(parent)))
                .and_where(Expr::col((c.clone(), "product_block_id")).eq(block_id(child)))
                .and_where(Expr::col((r, "domain_model_attr")).eq(attribute))
                .and_where(Expr::col((c, "subscription_id")).equals((p, "subscription_id")))
                .to_owned();
            // MariaDB cannot delete from a table that its own subquery reads, unless the
            // subquery is materialised as a derived table
            let x = Alias::new("x");
            let ids = Query::select()
                .column((x.clone(), Alias::new("id")))
                .from_subquery(owned_children, x)
                .to_owned();
            vec![
                Stmt::Delete(
                    Query::delete()
                        .from_table("subscription_instances")
                        .and_where(Expr::col("subscription_instance_id").in_subquery(ids))
                        .to_owned(),
                ),
                Stmt::Delete(
                    Query::delete()
                        .from_table("subscription_instance_relations")
                        .and_where(Expr::col("domain_model_attr").eq(attribute))
                        .and_where(Expr::col("in_use_by_id").in_subquery(instances_of(parent)))
                        .to_owned(),
                ),
            ]
        }
        Op::RenameRelationAttribute { block, from, to } => vec![Stmt::Update(
            Query::update()
                .table("subscription_instance_relations")
                .value("domain_model_attr", to)
                .and_where(Expr::col("domain_model_attr").eq(from))
                .and_where(Expr::col("in_use_by_id").in_subquery(instances_of(block)))
                .to_owned(),
        )],
    }
}

fn backfill_child(
    backend: DbBackend,
    parent: &str,
    child: &str,
    attribute: &str,
    order: i32,
) -> Vec<Stmt> {
    let p = Alias::new("p");
    let c = Alias::new("c");
    let r = Alias::new("r");
    let has_child = Query::select()
        .expr(Expr::val(1))
        .from_as("subscription_instance_relations", r.clone())
        .and_where(
            Expr::col((r.clone(), "in_use_by_id")).equals((p.clone(), "subscription_instance_id")),
        )
        .and_where(Expr::col((r.clone(), "domain_model_attr")).eq(attribute))
        .and_where(Expr::col((r, "order_id")).eq(order))
        .to_owned();
    let new_children = Query::select()
        .expr(new_id(backend))
        .column((p.clone(), "subscription_id"))
        .expr(block_id(child))
        .expr(backfill_label(backend))
        .from_as("subscription_instances", p.clone())
        .and_where(Expr::col((p.clone(), "product_block_id")).eq(block_id(parent)))
        .and_where(Expr::not_exists(has_child))
        .to_owned();
    let relations = Query::select()
        .column((p.clone(), "subscription_instance_id"))
        .column((c.clone(), "subscription_instance_id"))
        .expr(Expr::val(order))
        .expr(Expr::val(attribute))
        .from_as("subscription_instances", c.clone())
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            "subscription_instances",
            p.clone(),
            Expr::col((c.clone(), "label")).eq(backfill_label(backend)),
        )
        .and_where(Expr::col((c.clone(), "product_block_id")).eq(block_id(child)))
        .and_where(Expr::col((c, "label")).like(format!("{BACKFILL_LABEL}%")))
        .and_where(Expr::col((p, "product_block_id")).eq(block_id(parent)))
        .to_owned();
    vec![
        Stmt::Insert(
            Query::insert()
                .into_table("subscription_instances")
                .columns([
                    "subscription_instance_id",
                    "subscription_id",
                    "product_block_id",
                    "label",
                ])
                .select_from(new_children)
                .expect("columns match the select")
                .to_owned(),
        ),
        Stmt::Insert(
            Query::insert()
                .into_table("subscription_instance_relations")
                .columns([
                    "in_use_by_id",
                    "depends_on_id",
                    "order_id",
                    "domain_model_attr",
                ])
                .select_from(relations)
                .expect("columns match the select")
                .to_owned(),
        ),
        Stmt::Update(
            Query::update()
                .table("subscription_instances")
                .value("label", Expr::null())
                .and_where(Expr::col("product_block_id").eq(block_id(child)))
                .and_where(Expr::col("label").like(format!("{BACKFILL_LABEL}%")))
                .to_owned(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(i: usize) -> Op<String, Vec<String>> {
        Op::CreateProduct {
            name: format!("p{i}"),
            product_type: "T".into(),
            description: "d".into(),
            tag: "T".into(),
            status: "active".into(),
        }
    }

    /// Steps of one kind share a statement up to the chunk size; a step of another kind ends
    /// the run, and a kind that is not batched runs alone.
    #[test]
    fn consecutive_steps_of_one_kind_are_chunked() {
        let mut ops: Vec<Op<String, Vec<String>>> = (0..2_500).map(product).collect();
        ops.push(Op::SetProductType {
            name: "p1".into(),
            product_type: "U".into(),
        });
        ops.push(Op::SetProductType {
            name: "p2".into(),
            product_type: "U".into(),
        });
        ops.push(Op::DeleteProduct { name: "p3".into() });
        ops.push(Op::DeleteProduct { name: "p4".into() });
        ops.push(product(9_999));
        let batches = batches(&ops, DbBackend::Postgres);
        let shape: Vec<(std::ops::Range<usize>, usize)> = batches
            .iter()
            .map(|b| (b.steps.clone(), b.statements.len()))
            .collect();
        assert_eq!(
            shape,
            [
                (0..1000, 1),
                (1000..2000, 1),
                (2000..2500, 1),
                (2500..2501, 1),
                (2501..2502, 1),
                (2502..2504, 4),
                (2504..2505, 1),
            ]
        );
        let (sql, values) = batches[2].statements[0].build_with(PostgresQueryBuilder);
        assert_eq!(sql.matches("), (").count() + 1, 500, "one row per step");
        assert_eq!(
            sql.matches("gen_random_uuid()").count(),
            1,
            "ids made per row"
        );
        assert_eq!(values.0.len(), 500 * 5, "every value bound");
        let (sql, values) = batches[5].statements[3].build_with(PostgresQueryBuilder);
        assert_eq!(sql, r#"DELETE FROM "products" WHERE "name" IN ($1, $2)"#);
        assert_eq!(values.0.len(), 2);
    }

    /// A batch's statements are those of its steps run one by one, merged: one step alone gives
    /// the same statement either way.
    #[test]
    fn a_batch_of_one_is_the_step() {
        for op in [
            product(1),
            Op::DeleteProductBlock { name: "B".into() },
            Op::LinkResourceType {
                block: "B".into(),
                resource_type: "r".into(),
            },
        ] {
            let batched = &batches(std::slice::from_ref(&op), DbBackend::MySql)[0].statements;
            let alone = statements(&op, DbBackend::MySql);
            let text = |s: &[Stmt]| {
                s.iter()
                    .map(|s| s.to_sql(DbBackend::MySql))
                    .collect::<Vec<_>>()
            };
            assert_eq!(text(batched), text(&alone), "{op}");
        }
    }
}
