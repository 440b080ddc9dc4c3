//! `UserGroupBlock`, `UserBlock`, `UserGroup` and `User`, and their registration.

use orch_core::{FieldValue, product, product_block, register_products};

/// A group of users, owned by a "User Group" subscription.
#[product_block(name = "UserGroupBlock")]
pub struct UserGroupBlock {
    /// The name of the user group.
    #[required_from(provisioning)]
    pub group_name: String,
    /// The id of the user group in the user administration.
    #[required_from(active)]
    pub group_id: i64,
}

/// A user and the group it belongs to.
#[product_block(name = "UserBlock")]
pub struct UserBlock {
    /// The group the user belongs to: normally the block of a "User Group" subscription.
    pub group: UserGroupBlock,
    /// The name of the user.
    #[required_from(provisioning)]
    pub username: String,
    /// The age of the user, if known.
    pub age: Option<i64>,
    /// The id of the user in the user administration.
    #[required_from(active)]
    pub user_id: i64,
}

/// Whether a user belongs to the organisation: the fixed input that tells "User internal" and
/// "User external" apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FieldValue)]
pub enum Affiliation {
    /// Stored as `internal`.
    Internal,
    /// Stored as `external`.
    External,
}

/// The "User Group" product type.
#[product(product_type = "UserGroup")]
pub struct UserGroup {
    /// The group.
    pub user_group: UserGroupBlock,
}

/// The "User internal" and "User external" product type.
#[product(product_type = "User")]
pub struct User {
    /// Internal or external.
    pub affiliation: Affiliation,
    /// The user.
    pub user: UserBlock,
}

register_products! {
    /// Any subscription of the workshop's products, as its type and lifecycle:
    /// `Workshop::from_subscription(&db, id)` reads both from the product and status.
    pub enum Workshop {
        /// A "User Group".
        UserGroup(UserGroup) = ["User Group"],
        /// A "User internal" or "User external".
        User(User) = ["User internal", "User external"],
    }
}
