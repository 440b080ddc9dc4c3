//! What `#[product_block]` and `#[product]` emit for a model with errors, besides the errors.
//!
//! The struct is kept with its lifecycle parameter and every trait the other macros rely on is
//! implemented with bodies that never run (the crate does not compile), so that a product using
//! a block with a mistake in it, and `register_products!` naming that product, report nothing
//! more: one mistake, one error (serde_derive's "dummy" impls do the same).

/// The trait impls of a `#[product_block]` with errors (see the module).
#[doc(hidden)]
#[macro_export]
macro_rules! __orch_poisoned_block {
    ($ident:ident) => {
        const _: () = {
            impl<L: $crate::Lifecycle> $crate::ProductBlock for $ident<L> {
                type Lifecycle = L;
                fn descriptor() -> &'static $crate::BlockDescriptor {
                    ::core::unreachable!()
                }
                fn meta(&self) -> &$crate::BlockMeta<L> {
                    &self.meta
                }
            }
            impl<L0: $crate::Lifecycle> $crate::Field for $ident<L0> {
                type At<L: $crate::Lifecycle> = $ident<L>;
                const SHAPE: $crate::FieldShape = $crate::FieldShape {
                    cardinality: $crate::Cardinality::One,
                    target: $crate::Target::Blocks {
                        union: ::core::option::Option::None,
                        members: &[],
                    },
                };
                fn clone_at<L: $crate::Lifecycle>(_: &$ident<L>) -> $ident<L> {
                    ::core::unreachable!()
                }
                fn eq_at<L: $crate::Lifecycle>(_: &$ident<L>, _: &$ident<L>) -> bool {
                    ::core::unreachable!()
                }
                fn debug_at<L: $crate::Lifecycle>(
                    _: &$ident<L>,
                    _: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    ::core::unreachable!()
                }
                fn to_json_at<L: $crate::Lifecycle>(
                    _: &$ident<L>,
                ) -> $crate::__private::serde_json::Value {
                    ::core::unreachable!()
                }
                fn convert_at<L: $crate::Lifecycle, M: $crate::Lifecycle>(
                    _: $ident<L>,
                    _: &mut $crate::__private::ConvertCx,
                ) -> ::core::option::Option<$ident<M>> {
                    ::core::unreachable!()
                }
                fn write_at<L: $crate::Lifecycle>(
                    _: &$ident<L>,
                    _: &mut $crate::__private::Writer,
                ) {
                    ::core::unreachable!()
                }
                fn read_at<L: $crate::Lifecycle>(
                    _: &[$crate::__private::Item<'_>],
                    _: &mut $crate::__private::ReadCx,
                ) -> ::core::option::Option<$ident<L>> {
                    ::core::unreachable!()
                }
                fn initial_at<L: $crate::Lifecycle>(
                    _: u32,
                    _: &mut $crate::__private::ConvertCx,
                ) -> ::core::option::Option<$ident<L>> {
                    ::core::unreachable!()
                }
                fn claim_at<L: $crate::Lifecycle>(_: &mut $ident<L>, _: $crate::__private::Uuid) {
                    ::core::unreachable!()
                }
            }
            impl<L0: $crate::Lifecycle> $crate::Single for $ident<L0> {
                fn read_one<L: $crate::Lifecycle>(
                    _: $crate::__private::Item<'_>,
                    _: &mut $crate::__private::ReadCx,
                ) -> ::core::option::Option<$ident<L>> {
                    ::core::unreachable!()
                }
                fn initial_one<L: $crate::Lifecycle>(
                    _: &mut $crate::__private::ConvertCx,
                ) -> ::core::option::Option<$ident<L>> {
                    ::core::unreachable!()
                }
            }
        };
    };
}

/// The trait impl of a `#[product]` with errors (see the module).
#[doc(hidden)]
#[macro_export]
macro_rules! __orch_poisoned_product {
    ($ident:ident) => {
        const _: () = {
            impl<L: $crate::Lifecycle> $crate::Product for $ident<L> {
                type Lifecycle = L;
                fn descriptor() -> &'static $crate::ProductTypeDescriptor {
                    ::core::unreachable!()
                }
                fn meta(&self) -> &$crate::SubscriptionMeta<L> {
                    &self.meta
                }
                fn meta_mut(&mut self) -> &mut $crate::SubscriptionMeta<L> {
                    &mut self.meta
                }
                fn __write(&self, _: &mut $crate::__private::Writer) {
                    ::core::unreachable!()
                }
                fn __read(
                    _: $crate::SubscriptionMeta<L>,
                    _: &$crate::__private::BTreeMap<
                        $crate::__private::String,
                        $crate::__private::String,
                    >,
                    _: &[$crate::__private::Node<'_>],
                    _: &mut $crate::__private::ReadCx,
                ) -> ::core::option::Option<Self> {
                    ::core::unreachable!()
                }
                fn __initial(
                    _: $crate::SubscriptionMeta<L>,
                    _: &$crate::__private::BTreeMap<
                        $crate::__private::String,
                        $crate::__private::String,
                    >,
                    _: &mut $crate::__private::ConvertCx,
                    _: &mut $crate::__private::ReadCx,
                ) -> ::core::option::Option<Self> {
                    ::core::unreachable!()
                }
                fn __claim(&mut self) {
                    ::core::unreachable!()
                }
            }
        };
    };
}
