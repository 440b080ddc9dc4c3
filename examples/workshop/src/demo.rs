//! `workshop demo`: the workshop's user group and user, created, saved, loaded, moved to
//! active and printed as orchestrator-core's JSON.
//!
//! ```text
//! cargo run -p orch-migrate -- up     # orchestrator.db with the workshop's products
//! cargo run -p workshop -- demo
//! ```

use std::fmt::{self, Write as _};

use orch_core::subscription::{Connection, SubscriptionError};
use orch_core::{Active, Initial, Provisioning};
use sea_orm::{EntityTrait, QuerySelect};

use crate::{User, UserGroup, UserGroupInactive, UserInactive};

/// The customer the demo's subscriptions belong to.
pub const DEMO_CUSTOMER: &str = "demo-customer";

/// The id the demo gives its user group in the (imaginary) user administration.
pub const DEMO_GROUP_ID: i64 = 1001;

/// The id the demo gives its user.
pub const DEMO_USER_ID: i64 = 2001;

/// What the hint of every "not set up" error says.
const SET_UP: &str = "run `cargo run -p orch-migrate -- up` first";

/// Why the demo failed.
#[derive(Debug)]
pub enum DemoError {
    /// The database lacks orchestrator-core's tables or the workshop's products.
    NotSetUp(String),
    /// Creating, saving, loading or moving a subscription failed.
    Subscription(SubscriptionError),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::NotSetUp(what) => write!(f, "{what}: {SET_UP}"),
            DemoError::Subscription(e) => write!(f, "{}", one_line(&e.to_string())),
        }
    }
}

/// A refused move, as the error it carries (the demo does not retry).
impl<P> From<orch_core::subscription::Refused<P>> for DemoError {
    fn from(r: orch_core::subscription::Refused<P>) -> DemoError {
        DemoError::Subscription(r.error)
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DemoError::NotSetUp(_) => None,
            DemoError::Subscription(e) => Some(e),
        }
    }
}

impl From<SubscriptionError> for DemoError {
    fn from(e: SubscriptionError) -> Self {
        match e {
            SubscriptionError::ProductNotFound(product) => DemoError::NotSetUp(format!(
                "the database has no product {product}: the workshop's migration is not applied"
            )),
            e => DemoError::Subscription(e),
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fails with [`DemoError::NotSetUp`] unless the tables the demo reads and writes exist.
async fn check_tables(db: &impl Connection) -> Result<(), DemoError> {
    use orch_core::entity::{products, subscriptions};
    let missing = |e: sea_orm::DbErr| {
        DemoError::NotSetUp(format!(
            "the database lacks orchestrator-core's tables ({})",
            one_line(&e.to_string())
        ))
    };
    products::Entity::find()
        .limit(1)
        .all(db)
        .await
        .map_err(missing)?;
    subscriptions::Entity::find()
        .limit(1)
        .all(db)
        .await
        .map_err(missing)?;
    Ok(())
}

/// Creates a "User Group" subscription and a "User internal" subscription in that group, saves
/// them, loads them, moves both through provisioning to active (setting `group_id` and
/// `user_id`), saves them again and returns what happened, ending with both subscriptions as
/// JSON.
pub async fn demo(db: &impl Connection) -> Result<String, DemoError> {
    check_tables(db).await?;
    let mut out = String::new();

    // create: nothing is written yet
    let mut group: UserGroupInactive =
        UserGroup::from_product(db, "User Group", DEMO_CUSTOMER).await?;
    group.user_group.group_name = Some("Demo group".into());
    let mut user: UserInactive = User::from_product(db, "User internal", DEMO_CUSTOMER).await?;
    user.user.username = Some("demo-user".into());
    user.user.age = Some(42);
    // the user's group is the group subscription's block: the user refers to it, the group
    // owns it
    user.user.group = group.user_group.clone();
    let (group_id, user_id) = (group.meta.subscription_id, user.meta.subscription_id);
    writeln!(
        out,
        "Created user group {group_id} ({:?}) and user {user_id} ({:?}) in it, initial",
        "Demo group", "demo-user"
    )
    .ok();

    // save
    group.save(db).await?;
    user.save(db).await?;
    writeln!(
        out,
        "Saved both: versions {} and {}",
        group.meta.version, user.meta.version
    )
    .ok();

    // load, and move to active: the group first, so that the user's group has its id
    let group = UserGroup::<Initial>::from_subscription(db, group_id).await?;
    let mut group = group.transition::<Provisioning>(db).await?;
    group.user_group.group_id = Some(DEMO_GROUP_ID);
    let mut group: UserGroup = group.transition::<Active>(db).await?;
    group.save(db).await?;
    let user = User::<Initial>::from_subscription(db, user_id).await?;
    let mut user = user.transition::<Provisioning>(db).await?;
    user.user.user_id = Some(DEMO_USER_ID);
    let mut user: User = user.transition::<Active>(db).await?;
    user.save(db).await?;
    writeln!(
        out,
        "Loaded both, moved them to active with group_id {DEMO_GROUP_ID} and user_id {DEMO_USER_ID}, saved: versions {} and {}",
        group.meta.version, user.meta.version
    )
    .ok();

    // as stored
    let group = UserGroup::<Active>::from_subscription(db, group_id).await?;
    let user = User::<Active>::from_subscription(db, user_id).await?;
    writeln!(out, "\nUserGroup {group_id}:\n{:#}", group.to_json()).ok();
    writeln!(out, "\nUser {user_id}:\n{:#}", user.to_json()).ok();
    Ok(out)
}
