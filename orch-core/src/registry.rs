//! The product registry: product name -> product type, like orchestrator-core's
//! `SUBSCRIPTION_MODEL_REGISTRY`.
//!
//! Products are registered with [`register_products!`](crate::register_products), which submits
//! one [`ProductRegistration`] per name through `inventory`. Several names may share one product
//! type ("User internal" and "User external" are both `User`, told apart by a fixed input). The
//! registry is built once, on first use, and checked: a name registered twice, or two Rust types
//! claiming the same block name, is an error that names both places instead of a silent
//! overwrite.
//!
//! `inventory` only sees crates that the final binary links. A binary that never names its
//! products crate does not link it, and its products vanish without an error. Make sure every
//! binary and integration test names the crate: `use my_products as _;`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use crate::descriptor::{BlockDescriptor, ProductTypeDescriptor};

/// Where a registration was written, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// `file!()` of the registration.
    pub file: &'static str,
    /// `line!()` of the registration.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One product name bound to a product type; what `register_products!` submits.
#[derive(Debug)]
pub struct ProductRegistration {
    /// `products.name`.
    pub name: &'static str,
    /// The product type's descriptor.
    pub product_type: fn() -> &'static ProductTypeDescriptor,
    /// Where the registration was written.
    pub location: Location,
}

inventory::collect!(ProductRegistration);

/// A registered product: its name, its type and where it was registered.
#[derive(Debug, Clone, Copy)]
pub struct RegisteredProduct {
    /// `products.name`.
    pub name: &'static str,
    /// The product type.
    pub product_type: &'static ProductTypeDescriptor,
    /// Where it was registered.
    pub location: Location,
}

/// What makes a set of registrations unusable. Every problem is listed, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid product registry:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct RegistryError {
    /// One line per problem.
    pub problems: Vec<String>,
}

/// The registered products and every block reachable from them, sorted by name.
#[derive(Debug, Default)]
pub struct Registry {
    products: BTreeMap<&'static str, RegisteredProduct>,
    blocks: BTreeMap<&'static str, &'static BlockDescriptor>,
}

impl Registry {
    /// Builds a registry from every `register_products!` in the linked crates.
    pub fn from_inventory() -> Result<Self, RegistryError> {
        Self::from_registrations(inventory::iter::<ProductRegistration>)
    }

    /// Builds a registry from explicit registrations (tests, benchmarks, several registries
    /// in one process).
    pub fn from_registrations<'a>(
        registrations: impl IntoIterator<Item = &'a ProductRegistration>,
    ) -> Result<Self, RegistryError> {
        Self::from_products(registrations.into_iter().map(|r| RegisteredProduct {
            name: r.name,
            product_type: (r.product_type)(),
            location: r.location,
        }))
    }

    /// Builds a registry from products whose descriptors are already at hand.
    pub fn from_products(
        products: impl IntoIterator<Item = RegisteredProduct>,
    ) -> Result<Self, RegistryError> {
        let mut problems = Vec::new();
        let mut all: Vec<RegisteredProduct> = products.into_iter().collect();
        // inventory's order is unspecified; sort so that messages are deterministic
        all.sort_by_key(|p| (p.name, p.location.file, p.location.line));
        let mut registry = Registry::default();
        for p in all {
            if let Some(first) = registry.products.get(p.name) {
                problems.push(format!(
                    "product name {:?} is registered twice: at {} for {} and at {} for {}",
                    p.name,
                    first.location,
                    first.product_type.rust_path(),
                    p.location,
                    p.product_type.rust_path()
                ));
                continue;
            }
            registry.products.insert(p.name, p);
        }
        let mut stack: Vec<&'static BlockDescriptor> = registry
            .products
            .values()
            .flat_map(|p| p.product_type.block_fields())
            .flat_map(|f| f.blocks())
            .collect();
        while let Some(block) = stack.pop() {
            match registry.blocks.get(block.name) {
                Some(seen) if std::ptr::eq(*seen, block) => {}
                Some(seen) => {
                    let (a, b) = ordered(seen.rust_path(), block.rust_path());
                    let problem = format!(
                        "product block name {:?} is declared by two types: {a} and {b}",
                        block.name
                    );
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
                None => {
                    registry.blocks.insert(block.name, block);
                    stack.extend(block.block_fields().flat_map(|f| f.blocks()));
                }
            }
        }
        if problems.is_empty() {
            Ok(registry)
        } else {
            Err(RegistryError { problems })
        }
    }

    /// Every registered product, sorted by name.
    pub fn products(&self) -> impl ExactSizeIterator<Item = &RegisteredProduct> {
        self.products.values()
    }

    /// The product registered under `name`.
    pub fn product(&self, name: &str) -> Option<&RegisteredProduct> {
        self.products.get(name)
    }

    /// Every product block reachable from a registered product, sorted by name.
    pub fn blocks(&self) -> impl ExactSizeIterator<Item = &'static BlockDescriptor> + '_ {
        self.blocks.values().copied()
    }

    /// The reachable block named `name`.
    pub fn block(&self, name: &str) -> Option<&'static BlockDescriptor> {
        self.blocks.get(name).copied()
    }

    /// The names registered for a product type, sorted.
    pub fn names_of(&self, product_type: &ProductTypeDescriptor) -> Vec<&'static str> {
        self.products
            .values()
            .filter(|p| std::ptr::eq(p.product_type, product_type))
            .map(|p| p.name)
            .collect()
    }

    /// Whether nothing is registered; in a binary usually a sign that the products crate is not
    /// linked (add `use my_products as _;`).
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }
}

fn ordered<T: fmt::Display>(a: T, b: T) -> (String, String) {
    let (a, b) = (a.to_string(), b.to_string());
    if a <= b { (a, b) } else { (b, a) }
}

/// The global registry of every product registered in the linked crates.
///
/// Built on first use. [`GlobalRegistry::get`] returns the registry, or the error listing every
/// duplicate registration.
pub static SUBSCRIPTION_MODEL_REGISTRY: GlobalRegistry = GlobalRegistry {
    cell: LazyLock::new(Registry::from_inventory),
};

/// The type of [`SUBSCRIPTION_MODEL_REGISTRY`].
pub struct GlobalRegistry {
    cell: LazyLock<Result<Registry, RegistryError>>,
}

impl GlobalRegistry {
    /// The registry, or why the registrations are invalid.
    pub fn get(&self) -> Result<&Registry, RegistryError> {
        self.cell.as_ref().map_err(Clone::clone)
    }
}

impl fmt::Debug for GlobalRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GlobalRegistry").field(&*self.cell).finish()
    }
}

/// Registers product names for product types, as orchestrator-core's
/// `SUBSCRIPTION_MODEL_REGISTRY.update({...})` does.
///
/// ```ignore
/// orch_core::register_products! {
///     "User Group" => UserGroup,
///     "User internal" => User,
///     "User external" => User,
/// }
/// ```
///
/// The enum form registers the same and declares an enum over the product types, each variant
/// an [`AnyLifecycle`](crate::subscription::AnyLifecycle) of its type, that loads any stored
/// subscription of these products as its type and lifecycle:
///
/// ```ignore
/// orch_core::register_products! {
///     /// Any subscription of the workshop's products.
///     pub enum Workshop {
///         UserGroup(UserGroup) = ["User Group"],
///         User(User) = ["User internal", "User external"],
///     }
/// }
///
/// match Workshop::from_subscription(&db, id).await? {
///     Workshop::User(AnyLifecycle::Active(user)) => { /* a User<Active> */ }
///     other => { /* ... */ }
/// }
/// ```
#[macro_export]
macro_rules! register_products {
    (
        $(#[$attr:meta])*
        $vis:vis enum $enum:ident {
            $( $(#[$vattr:meta])* $variant:ident($ty:ty) = [$($name:literal),+ $(,)?] ),* $(,)?
        }
    ) => {
        $crate::register_products! { $( $($name => $ty),+ ),* }

        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq)]
        $vis enum $enum {
            $( $(#[$vattr])* $variant($crate::subscription::AnyLifecycle<$ty>), )*
        }

        impl $enum {
            /// Builds subscription `id` from a batch read by `load_with`: the variant of its
            /// product, in its stored lifecycle.
            pub fn build(
                batch: &$crate::subscription::load::Batch,
                id: $crate::__private::Uuid,
            ) -> ::core::result::Result<Self, $crate::subscription::SubscriptionError> {
                match batch.product_name(id)? {
                    $( $($name)|+ => ::core::result::Result::Ok(
                        $enum::$variant($crate::subscription::AnyLifecycle::build(batch, id)?),
                    ), )*
                    other => ::core::result::Result::Err(
                        $crate::subscription::SubscriptionError::NotRegistered(
                            ::std::string::ToString::to_string(other),
                        ),
                    ),
                }
            }

            /// Loads a stored subscription of any of these products, in whichever lifecycle
            /// it is in.
            pub async fn from_subscription(
                db: &impl $crate::subscription::Connection,
                id: $crate::__private::Uuid,
            ) -> ::core::result::Result<Self, $crate::subscription::SubscriptionError> {
                ::core::result::Result::Ok(
                    $crate::subscription::load::load_with(db, &[id], Self::build)
                        .await?
                        .remove(0),
                )
            }

            /// Loads many, each as its product and lifecycle, with the queries of one typed
            /// load.
            pub async fn from_subscriptions(
                db: &impl $crate::subscription::Connection,
                ids: &[$crate::__private::Uuid],
            ) -> ::core::result::Result<::std::vec::Vec<Self>, $crate::subscription::SubscriptionError> {
                $crate::subscription::load::load_with(db, ids, Self::build).await
            }
        }
    };
    ($($name:literal => $ty:ty),* $(,)?) => {
        $(
            $crate::__private::inventory::submit! {
                $crate::registry::ProductRegistration {
                    name: $name,
                    product_type: <$ty as $crate::Product>::descriptor,
                    location: $crate::registry::Location { file: ::core::file!(), line: ::core::line!() },
                }
            }
        )*
    };
}
