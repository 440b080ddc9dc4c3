//! Tests of the macro pipelines as plain functions on `proc_macro2` tokens: valid input must
//! expand to code that parses, invalid input must report every problem at once, and the
//! expansion of a few small models is kept as reviewed snapshots.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};

use crate::ast::ModelKind;
use crate::{expand, union, value};

fn block(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::model(ModelKind::Block, args, input)
}

fn product(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::model(ModelKind::Product, args, input)
}

/// The messages of the `compile_error!`s in `out`, in order.
fn errors(out: &TokenStream) -> Vec<String> {
    let tokens: Vec<TokenTree> = out.clone().into_iter().collect();
    let mut messages = Vec::new();
    for window in tokens.windows(3) {
        if let [
            TokenTree::Ident(name),
            TokenTree::Punct(bang),
            TokenTree::Group(body),
        ] = window
            && name == "compile_error"
            && bang.as_char() == '!'
        {
            let lit: syn::LitStr = syn::parse2(body.stream()).expect("a string literal");
            messages.push(lit.value());
        }
    }
    messages
}

/// Parses an expansion that must have succeeded.
fn file(out: TokenStream) -> syn::File {
    let errors = errors(&out);
    assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
    syn::parse2(out).expect("the expansion parses as a file")
}

/// The expansion as formatted Rust, for snapshots and text checks.
fn pretty(out: TokenStream) -> String {
    prettyplease::unparse(&file(out))
}

/// Asserts that `out` holds exactly errors containing `expected`, in order.
#[track_caller]
fn assert_errors(out: &TokenStream, expected: &[&str]) {
    let errors = errors(out);
    assert_eq!(
        errors.len(),
        expected.len(),
        "expected {} errors, got {errors:#?}",
        expected.len()
    );
    for (error, part) in errors.iter().zip(expected) {
        assert!(
            error.contains(part),
            "error {error:?} does not contain {part:?}"
        );
    }
}

fn find_struct<'a>(file: &'a syn::File, name: &str) -> &'a syn::ItemStruct {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no struct {name}"))
}

fn field_type(s: &syn::ItemStruct, name: &str) -> String {
    let field = s
        .fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
        .unwrap_or_else(|| panic!("no field {name}"));
    field.ty.to_token_stream().to_string()
}

fn user_block() -> TokenStream {
    quote! {
        /// A user.
        #[derive(Debug, Clone)]
        pub struct UserBlock {
            pub group: UserGroupBlock,
            #[required_from(provisioning)]
            pub username: String,
            pub age: Option<i64>,
            #[required_from(active)]
            #[renamed_from = "uid"]
            pub user_id: i64,
            #[items(min = 1)]
            pub nicknames: Vec<String>,
        }
    }
}

// (a) valid input expands, and the expansion parses

#[test]
fn a_block_gets_a_lifecycle_parameter_aliases_and_a_meta_field() {
    let f = file(block(quote!(name = "UserBlock"), user_block()));
    let s = find_struct(&f, "UserBlock");
    assert_eq!(
        s.generics.to_token_stream().to_string(),
        quote!(<L: ::orch_core::Lifecycle = ::orch_core::Active>).to_string()
    );
    let names: Vec<String> = s
        .fields
        .iter()
        .map(|f| f.ident.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["group", "username", "age", "user_id", "nicknames", "meta"]
    );
    // the derives orch writes itself are dropped, the doc comment stays
    assert!(!s.attrs.iter().any(|a| a.path().is_ident("derive")));
    assert!(s.attrs.iter().any(|a| a.path().is_ident("doc")));
    // built-in values keep their type; blocks and required fields depend on the lifecycle
    assert_eq!(field_type(s, "age"), "Option < i64 >");
    assert_eq!(
        field_type(s, "group"),
        "< UserGroupBlock as :: orch_core :: Field > :: At < L >"
    );
    assert_eq!(
        field_type(s, "username"),
        ":: orch_core :: RequiredFromProvisioning < L , String >"
    );
    let aliases: Vec<String> = f
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(aliases, ["UserBlockInactive", "UserBlockProvisioning"]);
}

#[test]
fn the_descriptor_carries_names_renames_and_bounds() {
    let code = pretty(block(quote!(name = "UserBlock"), user_block()));
    assert!(code.contains(r#"name: "UserBlock","#), "{code}");
    assert!(code.contains(r#"renamed_from: &["uid"],"#), "{code}");
    assert!(
        code.contains("min_items: ::core::option::Option::Some(1u32),"),
        "{code}"
    );
    assert!(
        code.contains("required_from: ::orch_core::SubscriptionLifecycle::Active,"),
        "{code}"
    );
}

#[test]
fn impls_require_only_the_non_builtin_field_types_to_be_fields() {
    let code = pretty(block(quote!(name = "UserBlock"), user_block()));
    // every impl of the block: ProductBlock, Field, Single, Clone, PartialEq, Debug, Serialize,
    // the inherent one and the initial lifecycle's `new`
    assert_eq!(
        code.matches("where\n        for<'__orch> UserGroupBlock: ::orch_core::Field,\n")
            .count(),
        9,
        "{code}"
    );
    assert!(!code.contains("String: ::orch_core::Field"), "{code}");
    // a block of built-in values only needs no where clause at all
    let code = pretty(block(
        quote!(name = "B"),
        quote!(
            struct B {
                x: String,
                y: Vec<u32>,
            }
        ),
    ));
    assert!(!code.contains("for<'__orch>"), "{code}");
}

#[test]
fn a_product_defaults_its_type_to_the_struct_name_and_checks_fixed_inputs() {
    let input = quote! {
        pub struct User {
            pub affiliation: Affiliation,
            pub user: UserBlock,
            pub uplink: Option<AnyPort>,
        }
    };
    let code = pretty(product(quote!(), input.clone()));
    assert!(code.contains(r#"product_type: "User","#), "{code}");
    assert!(code.contains("impl<L: ::orch_core::Lifecycle> ::orch_core::Product for User<L>"));
    assert_eq!(code.matches("check::fixed_input(").count(), 3, "{code}");
    let code = pretty(product(quote!(product_type = "User Account"), input));
    assert!(code.contains(r#"product_type: "User Account","#), "{code}");
}

#[test]
fn a_union_and_value_enums_expand() {
    let f = file(union::expand(
        quote!(),
        quote! {
            pub enum AnyPort { Port(PortBlock), Lag(LagBlock) }
        },
    ));
    assert!(f.items.iter().any(
        |i| matches!(i, syn::Item::Enum(e) if e.ident == "AnyPort" && e.generics.params.len() == 1)
    ));
    let code = prettyplease::unparse(&f);
    assert_eq!(code.matches("check::union_member::<").count(), 2, "{code}");
    assert!(code.contains(r#"union: ::orch_core::__private::Some("AnyPort")"#));

    let code = pretty(value::expand(quote! {
        enum Affiliation { Internal, #[value = "ext"] External, SelfEmployed }
    }));
    assert!(
        code.contains(r#"&["internal", "ext", "self_employed"]"#),
        "{code}"
    );
    assert!(
        !code.contains("fn to_json"),
        "string enums keep the default JSON: {code}"
    );
    let code = pretty(value::expand(quote! {
        enum Speed { #[value = 1000] OneG, #[value = 10000] TenG }
    }));
    assert!(code.contains(r#"&["1000", "10000"]"#), "{code}");
    assert!(
        code.contains("fn to_json"),
        "integer enums are numbers in JSON: {code}"
    );
}

#[test]
fn the_expansion_is_deterministic() {
    let run = || pretty(block(quote!(name = "UserBlock"), user_block()));
    assert_eq!(run(), run());
    let union = || {
        pretty(union::expand(
            quote!(),
            quote!(
                enum U {
                    A(A),
                    B(B),
                    A2(A),
                }
            ),
        ))
    };
    assert_eq!(union(), union());
}

// (b) invalid input reports every problem, at once

#[test]
fn every_bad_field_is_reported() {
    let out = block(
        quote!(name = "PortBlock"),
        quote! {
            struct PortBlock {
                #[required_from(provisoning)]
                port_name: String,
                #[items(min = 3, max = 2)]
                members: Vec<MemberBlock>,
                meta: String,
            }
        },
    );
    assert_errors(
        &out,
        &[
            "unknown lifecycle `provisoning`; did you mean `provisioning`?",
            "`min = 3` is larger than `max = 2`",
            "`meta` is a reserved field name on a product block",
        ],
    );
}

/// With errors, the struct is kept as written (its lifecycle parameter and metadata added) and
/// implements what other macros need through `__orch_poisoned_block!`, so its users add no
/// errors (the trybuild cases `one_error_per_mistake_*` compile them).
#[test]
fn on_errors_the_struct_is_kept_as_written_without_orch_attributes() {
    let out = block(
        quote!(name = "PortBlock"),
        quote! {
            #[derive(Debug, Hash)]
            pub struct PortBlock {
                #[required_from(active)]
                #[serde(skip)]
                pub speed: Option<i64>,
            }
        },
    );
    assert_errors(
        &out,
        &[
            "orch model types cannot derive `Hash`",
            "`#[required_from(active)]` needs a single value or block, not an Option or Vec",
        ],
    );
    let code = out.to_string();
    // the derives orch would have written are dropped too: they could fail on the fields
    let expected = quote! {
        pub struct PortBlock<L: ::orch_core::Lifecycle = ::orch_core::Active> {
            #[serde(skip)]
            pub speed: Option<i64>,
            /// The metadata.
            pub meta: ::orch_core::BlockMeta<L>,
        }
        ::orch_core::__orch_poisoned_block!(PortBlock);
    };
    assert!(code.ends_with(&expected.to_string()), "{code}");
}

#[test]
fn a_misspelt_key_is_one_error_with_a_suggestion() {
    let input = quote!(
        struct PortBlock {
            speed: i64,
        }
    );
    assert_errors(
        &block(quote!(nmae = "PortBlock"), input.clone()),
        &["unknown key `nmae` for #[product_block]; did you mean `name`?"],
    );
    assert_errors(
        &block(quote!(label = "PortBlock"), input.clone()),
        &["unknown key `label` for #[product_block]; expected `name`"],
    );
    assert_errors(
        &block(quote!(name = "A", name = "B"), input.clone()),
        &["`name` is given twice"],
    );
    assert_errors(
        &block(quote!(), input.clone()),
        &[r#"missing block name: write #[product_block(name = "PortBlock")]"#],
    );
    assert_errors(
        &block(quote!(name = " Port "), input.clone()),
        &["the name has leading or trailing whitespace"],
    );
    assert_errors(
        &product(quote!(product_typ = "Port"), input),
        &["unknown key `product_typ` for #[product]; did you mean `product_type`?"],
    );
}

#[test]
fn lifecycle_attributes_name_the_mistake() {
    let out = block(
        quote!(name = "B"),
        quote! {
            struct B {
                #[required_from(initial)]
                a: String,
                #[required_from(terminated)]
                b: String,
                #[required_from]
                c: String,
                #[required_from(provisioning)]
                #[required_from(active)]
                d: String,
                #[required_from(active)]
                e: Vec<String>,
                #[require_from(active)]
                f: String,
            }
        },
    );
    assert_errors(
        &out,
        &[
            "a field without `#[required_from]` is already required in every lifecycle",
            "`terminated` requires nothing beyond always-required fields",
            "expected `#[required_from(provisioning)]` or `#[required_from(active)]`",
            "`#[required_from]` is given twice on this field",
            "unknown field attribute `require_from`; did you mean `required_from`?",
            "`#[required_from(active)]` needs a single value or block, not an Option or Vec",
        ],
    );
}

#[test]
fn renames_may_not_collide() {
    let out = block(
        quote!(name = "B"),
        quote! {
            struct B {
                port_name: String,
                #[renamed_from = "port_name"]
                label_text: String,
                #[renamed_from = "speed"]
                speed_mbit: i64,
                #[renamed_from("speed", "rate")]
                speed_gbit: i64,
                #[renamed_from = "vlan"]
                vlan: i64,
                #[renamed_from = ""]
                mtu: i64,
                #[renamed_from = 5]
                tag: i64,
            }
        },
    );
    assert_errors(
        &out,
        &[
            "an old name cannot be empty",
            "expected a string: `#[renamed_from = \"old_name\"]`",
            "`label_text` is renamed from `port_name`, but `port_name` is still a field",
            "`speed` is claimed as the old name of both `speed_mbit` and `speed_gbit`",
            "`vlan` cannot be renamed from itself",
        ],
    );
}

#[test]
fn item_bounds_need_a_list() {
    let out = block(
        quote!(name = "B"),
        quote! {
            struct B {
                #[items(min = 1)]
                a: String,
                #[items(max = 2)]
                b: Option<PortBlock>,
                #[items(max = 0)]
                c: Vec<PortBlock>,
                #[items]
                d: Vec<PortBlock>,
                #[items(mni = 1)]
                e: Vec<PortBlock>,
                #[items(min = 1, min = 2)]
                f: Vec<PortBlock>,
            }
        },
    );
    assert_errors(
        &out,
        &[
            "`max = 0` leaves no room for any item",
            "expected attribute arguments in parentheses",
            "unknown key `mni` in #[items]; did you mean `min`?",
            "given twice",
            "`#[items]` bounds a list, but `a` is not a `Vec<_>`",
            "`#[items]` bounds a list, but `b` is not a `Vec<_>`",
        ],
    );
}

#[test]
fn field_types_that_cannot_work_are_caught_before_type_checking() {
    let out = product(
        quote!(),
        quote! {
            struct Port {
                speed: Option<i64>,
                vlans: Vec<u16>,
                groups: Vec<Vec<u16>>,
                #[required_from(active)]
                mtu: u32,
                status: String,
                uplink: Option<UplinkBlock>,
            }
        },
    );
    assert_errors(
        &out,
        &[
            "fixed input `speed` must be a single value",
            "fixed input `vlans` must be a single value",
            "`Option` and `Vec` cannot be nested",
            "`mtu` is a fixed input: fixed inputs are set by the product and cannot depend on the lifecycle",
            "`status` is a reserved field name on a product",
        ],
    );
}

#[test]
fn only_structs_with_named_fields_are_models() {
    let cases = [
        (
            quote!(
                enum E {
                    A { x: i64 },
                    B(PortBlock),
                }
            ),
            "not an enum; for a field that holds one of several block types",
        ),
        (
            quote!(
                enum E {
                    A,
                    B,
                }
            ),
            "not an enum; for a resource type or fixed input with a fixed set of values, use #[derive(FieldValue)]",
        ),
        (
            quote!(
                struct T(String, i64);
            ),
            "#[product_block] needs named fields",
        ),
        (
            quote!(
                struct U;
            ),
            "#[product_block] needs a struct with named fields: `struct U { .. }`",
        ),
        (
            quote!(
                fn f() {}
            ),
            "#[product_block] applies to a struct with named fields",
        ),
    ];
    for (input, message) in cases {
        let out = block(quote!(name = "X"), input.clone());
        assert_errors(&out, &[message]);
        // the item is kept as written, so that code naming it gets no follow-up errors
        assert!(out.to_string().ends_with(&input.to_string()), "{out}");
    }
    assert_errors(
        &block(
            quote!(name = "G"),
            quote!(
                struct G<T> {
                    x: T,
                }
            ),
        ),
        &["#[product_block] structs cannot be generic"],
    );
}

#[test]
fn union_variants_each_hold_one_block() {
    let out = union::expand(
        quote!(name = "U"),
        quote! {
            enum U<T> { A(PortBlock), B, C(PortBlock, LagBlock), D { port: PortBlock } }
        },
    );
    assert_errors(
        &out,
        &[
            "#[block_union] takes no arguments",
            "#[block_union] enums cannot be generic",
            "variant `B` must hold exactly one product block, like `B(SomeBlock)`",
            "variant `C` must hold exactly one product block",
            "variant `D` must hold exactly one product block",
        ],
    );
    assert_errors(
        &union::expand(
            quote!(),
            quote!(
                enum Empty {}
            ),
        ),
        &["a block union needs at least one variant"],
    );
    assert_errors(
        &union::expand(
            quote!(),
            quote!(
                struct S {
                    a: PortBlock,
                }
            ),
        ),
        &[
            "expected `enum`",
            "#[block_union] applies to an enum whose variants each hold one product block",
        ],
    );
}

#[test]
fn value_enums_have_distinct_values_of_one_kind() {
    let out = value::expand(quote! {
        enum Speed {
            #[value = 1000]
            OneG,
            Auto,
            #[value = "one_g"]
            #[value = "x"]
            Other,
            Custom(u32),
            #[value = 1000]
            Gigabit,
            #[value = ""]
            Empty,
            #[value = 1.5]
            Half,
        }
    });
    assert_errors(
        &out,
        &[
            "`#[value]` is given twice",
            "variant `Custom` has fields; a value enum has unit variants only",
            "expected a string or integer",
            "variant `Auto` has a string value but others have integers",
            "variant `Other` has a string value but others have integers",
            "variant `Empty` has a string value but others have integers",
            "variants `OneG` and `Gigabit` are both stored as \"1000\"",
            "a stored value cannot be empty",
        ],
    );
    assert_errors(
        &value::expand(quote!(
            struct S {
                a: i64,
            }
        )),
        &["#[derive(FieldValue)] applies to enums with unit variants"],
    );
    assert_errors(
        &value::expand(quote!(
            enum E<T> {
                A,
            }
        )),
        &["a value enum cannot be generic"],
    );
}

// (c) snapshots of the formatted expansion, reviewed by hand

#[test]
fn snapshot_block() {
    insta::assert_snapshot!(pretty(block(
        quote!(name = "PortBlock"),
        quote! {
            /// A port.
            pub struct PortBlock {
                #[required_from(active)]
                pub port_name: String,
                pub speed: Speed,
                #[items(max = 2)]
                #[renamed_from = "vlan"]
                pub vlans: Vec<u16>,
            }
        },
    )));
}

#[test]
fn snapshot_product() {
    insta::assert_snapshot!(pretty(product(
        quote!(product_type = "Port"),
        quote! {
            pub struct Port {
                pub affiliation: Affiliation,
                #[required_from(provisioning)]
                pub port: PortBlock,
            }
        },
    )));
}

#[test]
fn snapshot_union() {
    insta::assert_snapshot!(pretty(union::expand(
        quote!(),
        quote! {
            /// A port or a LAG.
            pub enum AnyPort {
                Port(PortBlock),
                Lag(LagBlock),
            }
        },
    )));
}

#[test]
fn snapshot_value_enum() {
    insta::assert_snapshot!(pretty(value::expand(quote! {
        #[derive(Debug, Clone, Copy, PartialEq, FieldValue)]
        pub enum Speed {
            #[value = 1000]
            OneG,
            #[value = 10000]
            TenG,
        }
    })));
}
