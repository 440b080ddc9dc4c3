//! Whether a migration's effect is already in the database: the question `up` asks before it
//! runs a domain-model migration, so that an orchestrator-core database whose products were
//! made long ago by `migrate-domain-models` is adopted with them instead of failing on the first
//! duplicate row.
//!
//! A migration's upgrade is read without running it ([`steps`]), each step is compared with a
//! snapshot of the database ([`check_step`]), and the steps together give a [`Presence`]: all
//! there (record it, run nothing), none there (run it), or part of it or something contrary
//! (write nothing, list every difference by the row it names).

use orch_core::migration::{MigrationTrait, Op, OwnedOp, capture};
use sea_orm::{DatabaseConnection, DbBackend, MockDatabase, MockExecResult};
use sea_orm_migration::{MigratorTraitSelf, SchemaManager};

use crate::apply::locked;
use crate::catalog::{Catalog, Relation};
use crate::migrator::Migrator;
use crate::schema;
use crate::snapshot::snapshot;

/// What one step finds in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Its effect is there.
    Present,
    /// Its effect is not there: running it would make it.
    Absent,
    /// The row it names is there with other values: one line per difference.
    Differs(Vec<String>),
    /// A step on subscription data (a backfill, a removal of instances): whether it ran cannot
    /// be told from the metadata.
    Unknown,
}

/// What a whole migration finds in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// None of its effect is there (or it makes no metadata change): run it.
    Absent,
    /// All of its effect is there: record it as applied without running it.
    Present,
    /// Part of it is there, or something that contradicts it: one line per difference, each
    /// naming the row.
    Partial(Vec<String>),
}

/// Why `up` stops at a migration the database holds part of: every difference, each naming its
/// row, and the ways on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name}: the database holds part of what it makes, or something that contradicts it, so \
     nothing was written:\n{}\nMake the database match the migration, or record it as applied \
     as it is with `stamp {name} --force`",
    differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
)]
pub struct PartlyPresent {
    /// The migration.
    pub name: String,
    /// One line per difference.
    pub differences: Vec<String>,
}

/// The steps of `migration`'s upgrade, read without running it (see [`capture`]), or `None` when
/// they cannot be read: it failed, or it runs statements of its own besides the steps.
pub async fn steps(migration: &dyn MigrationTrait, backend: DbBackend) -> Option<Vec<OwnedOp>> {
    let mock = MockDatabase::new(backend)
        .append_exec_results((0..1000).map(|_| MockExecResult {
            last_insert_id: 0,
            rows_affected: 0,
        }))
        .into_connection();
    let manager = SchemaManager::new(&mock);
    let (result, steps) = capture(migration.up(&manager)).await;
    let own_statements = mock.into_transaction_log().len();
    (result.is_ok() && own_statements == 0).then_some(steps)
}

/// How the steps of a migration compare with the database `actual`.
///
/// Only a step that makes something (a row, a link, a name, a value) is evidence that the
/// migration ran: a deletion is "there" whenever the row does not exist, which it may never
/// have. So a migration is absent when none of its making steps is there, and present when
/// every step is.
pub fn presence(steps: &[OwnedOp], actual: &Catalog) -> Presence {
    let checks: Vec<(&OwnedOp, Check)> = steps.iter().map(|s| (s, check_step(s, actual))).collect();
    let evidence = checks
        .iter()
        .any(|(s, c)| makes(s) && *c == Check::Present || matches!(c, Check::Differs(_)));
    if !evidence {
        return Presence::Absent;
    }
    if checks.iter().all(|(_, c)| *c == Check::Present) {
        return Presence::Present;
    }
    let mut lines = Vec::new();
    for (step, check) in &checks {
        match check {
            Check::Differs(why) => lines.extend(why.iter().cloned()),
            // among steps that are there, the ones that are not are the difference
            Check::Absent => lines.push(format!("missing: {step}")),
            Check::Unknown => lines.push(format!(
                "cannot tell whether this ran (it changes subscription data): {step}"
            )),
            Check::Present => {}
        }
    }
    Presence::Partial(lines)
}

/// Whether `step` makes something, rather than removing it.
fn makes(step: &OwnedOp) -> bool {
    !matches!(
        step,
        Op::DeleteProduct { .. }
            | Op::DeleteProductBlock { .. }
            | Op::DeleteResourceType { .. }
            | Op::DeleteFixedInput { .. }
            | Op::UnlinkProductBlock { .. }
            | Op::UnlinkResourceType { .. }
            | Op::UnlinkBlockRelation { .. }
            | Op::DeleteRootInstances { .. }
            | Op::DeleteChildInstances { .. }
    )
}

/// "x is a, the migration has b" for each field that differs.
fn differences(what: &str, fields: &[(&str, Option<&str>, Option<&str>)]) -> Check {
    let lines: Vec<String> = fields
        .iter()
        .filter(|(_, stored, wanted)| stored != wanted)
        .map(|(field, stored, wanted)| {
            format!(
                "{what}: {field} is {}, the migration has {}",
                shown(*stored),
                shown(*wanted)
            )
        })
        .collect();
    if lines.is_empty() {
        Check::Present
    } else {
        Check::Differs(lines)
    }
}

fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "NULL".into(),
    }
}

fn present_if(there: bool) -> Check {
    if there { Check::Present } else { Check::Absent }
}

fn relation(r: &Relation) -> String {
    format!(
        "min {}, max {}",
        r.min.map_or("NULL".into(), |m| m.to_string()),
        r.max.map_or("NULL".into(), |m| m.to_string())
    )
}

/// What `step` finds in `actual`.
pub fn check_step(step: &OwnedOp, actual: &Catalog) -> Check {
    let product = |name: &str| actual.products.get(name);
    let block = |name: &str| actual.blocks.get(name);
    match step {
        Op::CreateProduct {
            name,
            product_type,
            description,
            tag,
            status,
        } => match product(name) {
            None => Check::Absent,
            Some(p) => differences(
                &format!("product {name:?}"),
                &[
                    ("product_type", Some(&p.product_type), Some(product_type)),
                    ("description", p.description.as_deref(), Some(description)),
                    ("tag", p.tag.as_deref(), Some(tag)),
                    ("status", p.status.as_deref(), Some(status)),
                ],
            ),
        },
        Op::CreateFixedInput {
            product: p,
            name,
            value,
        } => match product(p).and_then(|p| p.fixed_inputs.get(name)) {
            None => Check::Absent,
            Some(fi) => differences(
                &format!("fixed input {name:?} of product {p:?}"),
                &[("value", fi.value.as_deref(), Some(value))],
            ),
        },
        Op::CreateProductBlock {
            name,
            description,
            tag,
            status,
        } => match block(name) {
            None => Check::Absent,
            Some(b) => differences(
                &format!("product block {name:?}"),
                &[
                    ("description", b.description.as_deref(), Some(description)),
                    ("tag", b.tag.as_deref(), tag.as_deref()),
                    ("status", b.status.as_deref(), status.as_deref()),
                ],
            ),
        },
        Op::CreateResourceType { name, description } => match actual.resource_types.get(name) {
            None => Check::Absent,
            Some(r) => differences(
                &format!("resource type {name:?}"),
                &[(
                    "description",
                    r.description.as_deref(),
                    description.as_deref(),
                )],
            ),
        },
        Op::LinkProductBlock { product: p, block } => {
            present_if(product(p).is_some_and(|p| p.blocks.contains(block)))
        }
        Op::UnlinkProductBlock { product: p, block } => {
            present_if(!product(p).is_some_and(|p| p.blocks.contains(block)))
        }
        Op::LinkResourceType {
            block: b,
            resource_type,
        } => present_if(block(b).is_some_and(|b| b.resource_types.contains_key(resource_type))),
        Op::UnlinkResourceType {
            block: b,
            resource_type,
        } => present_if(!block(b).is_some_and(|b| b.resource_types.contains_key(resource_type))),
        Op::LinkBlockRelation {
            in_use_by,
            depends_on,
            min,
            max,
        } => match block(in_use_by).and_then(|b| b.depends_on.get(depends_on)) {
            None => Check::Absent,
            Some(stored) => {
                let wanted = Relation {
                    min: *min,
                    max: *max,
                };
                if *stored == wanted {
                    Check::Present
                } else {
                    Check::Differs(vec![format!(
                        "relation {in_use_by:?} -> {depends_on:?}: {} in the database, {} in the migration",
                        relation(stored),
                        relation(&wanted)
                    )])
                }
            }
        },
        Op::SetBlockRelationBounds {
            in_use_by,
            depends_on,
            min,
            max,
        } => present_if(
            block(in_use_by)
                .and_then(|b| b.depends_on.get(depends_on))
                .is_some_and(|r| r.min == *min && r.max == *max),
        ),
        Op::UnlinkBlockRelation {
            in_use_by,
            depends_on,
        } => present_if(!block(in_use_by).is_some_and(|b| b.depends_on.contains_key(depends_on))),
        Op::DeleteProduct { name } => present_if(product(name).is_none()),
        Op::DeleteProductBlock { name } => present_if(block(name).is_none()),
        Op::DeleteResourceType { name } => present_if(!actual.resource_types.contains_key(name)),
        Op::DeleteFixedInput { product: p, name } => {
            present_if(!product(p).is_some_and(|p| p.fixed_inputs.contains_key(name)))
        }
        Op::SetProductType { name, product_type } => {
            present_if(product(name).is_some_and(|p| p.product_type == *product_type))
        }
        Op::RenameFixedInput {
            product: p,
            from,
            to,
        } => {
            let has = |f: &str| product(p).is_some_and(|p| p.fixed_inputs.contains_key(f));
            present_if(has(to) && !has(from))
        }
        Op::RenameResourceType { from, to } => present_if(
            actual.resource_types.contains_key(to) && !actual.resource_types.contains_key(from),
        ),
        Op::MoveResourceType { block: b, from, to } => present_if(block(b).is_some_and(|b| {
            b.resource_types.contains_key(to) && !b.resource_types.contains_key(from)
        })),
        Op::BackfillValue { .. }
        | Op::BackfillValueIn { .. }
        | Op::BackfillValues { .. }
        | Op::BackfillRootInstances { .. }
        | Op::BackfillChildInstances { .. }
        | Op::DeleteRootInstances { .. }
        | Op::DeleteChildInstances { .. }
        | Op::RenameRelationAttribute { .. } => Check::Unknown,
    }
}

/// Records `name` as applied without running it, as Alembic's `stamp` and Django's `--fake` do:
/// for a database whose schema or products were made another way. Refused, listing what
/// differs, unless the database has the migration's effect (the core schema whole, or every
/// step of a domain-model migration), or `force` is given. Takes the migration lock.
pub async fn stamp(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    name: &str,
    force: bool,
) -> anyhow::Result<()> {
    locked(url, db.get_database_backend(), async {
        let migrations = migrator.migrations();
        let Some(m) = migrations.iter().find(|m| m.name() == name) else {
            anyhow::bail!(
                "no migration is named {name}: the binary has {}",
                migrations
                    .iter()
                    .map(|m| m.name().to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        if migrator.recorded(db).await?.iter().any(|r| r == name) {
            anyhow::bail!("{name} is recorded as applied already");
        }
        if !force {
            let differences =
                if name == schema::m20250101_000001_create_orchestrator_core_tables::NAME {
                    let core = crate::adopt::inspect(db, migrator).await?;
                    (!core.is_complete()).then(|| {
                        let mut lines = vec![format!("the core schema lacks {}", core.missing())];
                        lines.extend(core.missing_definitions.iter().cloned());
                        lines
                    })
                } else {
                    match steps(m.as_ref(), db.get_database_backend()).await {
                        None => Some(vec![
                    "its steps cannot be read without running it (it runs statements of its own)"
                        .to_owned(),
                ]),
                        Some(steps) => match presence(&steps, &snapshot(db).await?) {
                            Presence::Present => None,
                            Presence::Absent => {
                                Some(vec!["none of what it makes is in the database".to_owned()])
                            }
                            Presence::Partial(differences) => Some(differences),
                        },
                    }
                };
            if let Some(differences) = differences {
                anyhow::bail!(
                    "not recording {name}: the database does not have what it makes:\n{}\nApply it \
                 with `up`, or record it anyway with `stamp {name} --force`",
                    differences
                        .iter()
                        .map(|d| format!("  - {d}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
        migrator.record(db, name).await?;
        Ok(())
    })
    .await
}

/// Removes the record of `name` without rolling it back: the way back from [`stamp`]. Only the
/// newest recorded migration can be unrecorded, so the record stays a prefix of the list.
pub async fn unstamp(
    db: &DatabaseConnection,
    url: &str,
    migrator: &Migrator,
    name: &str,
) -> anyhow::Result<()> {
    locked(url, db.get_database_backend(), async {
        let recorded = migrator.recorded(db).await?;
        match recorded.last() {
            Some(last) if last == name => {}
            Some(last) if recorded.iter().any(|r| r == name) => anyhow::bail!(
                "{name} is not the newest recorded migration ({last} is): unstamp that one first"
            ),
            _ => anyhow::bail!("{name} is not recorded as applied"),
        }
        migrator.unrecord(db, name).await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::ports;

    fn product(name: &str, tag: &str) -> OwnedOp {
        Op::CreateProduct {
            name: name.into(),
            product_type: "Port".into(),
            description: format!("{name} product"),
            tag: tag.into(),
            status: "active".into(),
        }
    }

    fn db() -> Catalog {
        let mut c = ports().build();
        let p = c.products.get_mut("port 10G").unwrap();
        p.description = Some("port 10G product".into());
        p.tag = Some("P10".into());
        p.status = Some("active".into());
        c
    }

    #[test]
    fn all_there_is_present_none_there_is_absent() {
        let link = Op::LinkProductBlock {
            product: "port 10G".into(),
            block: "PortBlock".into(),
        };
        assert_eq!(
            presence(&[product("port 10G", "P10"), link], &db()),
            Presence::Present
        );
        assert_eq!(
            presence(&[product("port 40G", "P40")], &db()),
            Presence::Absent
        );
    }

    #[test]
    fn a_deletion_of_what_never_existed_is_no_evidence() {
        let steps = [
            product("port 40G", "P40"),
            Op::DeleteProduct {
                name: "old product".into(),
            },
        ];
        assert_eq!(presence(&steps, &db()), Presence::Absent);
    }

    #[test]
    fn part_of_it_lists_each_difference() {
        let steps = [
            product("port 10G", "P10G"),
            product("port 40G", "P40"),
            Op::BackfillValue {
                block: "PortBlock".into(),
                resource_type: "mtu".into(),
                value: "1500".into(),
            },
        ];
        let Presence::Partial(lines) = presence(&steps, &db()) else {
            panic!("partial");
        };
        assert_eq!(
            lines,
            [
                r#"product "port 10G": tag is "P10", the migration has "P10G""#,
                r#"missing: create product "port 40G""#,
                r#"cannot tell whether this ran (it changes subscription data): fill "mtu" on existing instances of block "PortBlock""#,
            ]
        );
    }
}
