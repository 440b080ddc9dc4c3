#![allow(missing_docs)]
//! The macros used the way an app uses them: lifecycles, descriptors, the registry.

use orch_core::{
    Active, Cardinality, FieldValue, Initial, Provisioning, SubscriptionLifecycle, Terminated,
    ValueKind, block_union, product, product_block, register_products,
};

#[product_block(name = "UserGroupBlock")]
pub struct UserGroupBlock {
    /// The group's name.
    #[required_from(provisioning)]
    pub group_name: String,
    #[required_from(active)]
    pub group_id: i64,
}

#[product_block(name = "UserBlock")]
pub struct UserBlock {
    pub group: UserGroupBlock,
    #[required_from(provisioning)]
    pub username: String,
    pub age: Option<i64>,
    #[required_from(active)]
    pub user_id: i64,
    pub nicknames: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, FieldValue)]
pub enum Affiliation {
    Internal,
    #[value = "external"]
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, FieldValue)]
pub enum Speed {
    #[value = 1000]
    OneG,
    #[value = 10000]
    TenG,
}

#[product_block(name = "PortBlock")]
pub struct PortBlock {
    pub speed: Speed,
}

#[product_block(name = "LagBlock")]
pub struct LagBlock {
    #[items(min = 1, max = 8)]
    pub members: Vec<PortBlock>,
}

#[block_union]
pub enum AnyPort {
    Port(PortBlock),
    Lag(LagBlock),
}

#[product(product_type = "User")]
pub struct User {
    pub affiliation: Affiliation,
    pub user: UserBlock,
    pub uplink: Option<AnyPort>,
}

#[product(product_type = "UserGroup")]
pub struct UserGroup {
    pub user_group: UserGroupBlock,
}

register_products! {
    "User Group" => UserGroup,
    "User internal" => User,
    "User external" => User,
}

fn draft() -> UserBlockInactive {
    UserBlock {
        group: UserGroupBlock {
            group_name: None,
            group_id: None,
            meta: Default::default(),
        },
        username: Some("alice".into()),
        age: None,
        user_id: None,
        nicknames: vec!["al".into()],
        meta: Default::default(),
    }
}

#[test]
fn moving_to_a_stricter_lifecycle_names_every_missing_field() {
    let err = draft().into_lifecycle::<Active>().unwrap_err();
    assert_eq!(err.target, SubscriptionLifecycle::Active);
    assert_eq!(
        err.missing,
        ["group.group_name", "group.group_id", "user_id"]
    );
    assert_eq!(
        err.to_string(),
        "UserBlock cannot move to lifecycle active: missing group.group_name, group.group_id, user_id"
    );
    let err = draft().into_lifecycle::<Provisioning>().unwrap_err();
    assert_eq!(err.missing, ["group.group_name"]);
}

#[test]
fn a_complete_model_moves_forward_and_back() {
    let mut d = draft();
    d.group.group_name = Some("admins".into());
    d.group.group_id = Some(7);
    d.user_id = Some(42);
    let id = d.meta.subscription_instance_id;
    let active: UserBlock = d.clone().into_lifecycle().unwrap();
    // in active, the fields are no longer options
    let user_id: i64 = active.user_id;
    let name: &str = &active.group.group_name;
    assert_eq!((user_id, name), (42, "admins"));
    assert_eq!(active.meta.subscription_instance_id, id);
    let terminated = active.clone().into_lifecycle::<Terminated>().unwrap();
    assert_eq!(terminated.user_id, Some(42));
    let back: UserBlockInactive = terminated.into_lifecycle::<Initial>().unwrap();
    assert_eq!(back, d);
}

#[test]
fn debug_and_json_show_every_field() {
    let d = draft();
    let dbg = format!("{d:?}");
    assert!(dbg.contains("username: \"alice\""), "{dbg}");
    assert!(dbg.contains("user_id: None"), "{dbg}");
    let json = d.to_json();
    assert_eq!(json["name"], "UserBlock");
    assert_eq!(json["username"], "alice");
    assert_eq!(json["user_id"], serde_json::Value::Null);
    assert_eq!(json["group"]["name"], "UserGroupBlock");
    assert_eq!(json["nicknames"], serde_json::json!(["al"]));
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json,
        "Serialize matches to_json"
    );
    let lag = LagBlock::<Active> {
        members: vec![PortBlock {
            speed: Speed::TenG,
            meta: Default::default(),
        }],
        meta: Default::default(),
    };
    assert_eq!(lag.to_json()["members"][0]["speed"], 10000);
    let any: AnyPort = AnyPort::Lag(lag);
    assert_eq!(any.to_json()["name"], "LagBlock");
}

#[test]
fn descriptors_say_what_the_models_say() {
    use orch_core::ProductBlock;
    let d = <UserBlock as ProductBlock>::descriptor();
    assert_eq!(d.name, "UserBlock");
    let names: Vec<_> = d.fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["group", "username", "age", "user_id", "nicknames"]);
    let rts: Vec<_> = d.resource_types().map(|f| f.name).collect();
    assert_eq!(rts, ["username", "age", "user_id", "nicknames"]);
    let group = &d.fields[0];
    assert!(group.is_block());
    assert_eq!(
        group.blocks().map(|b| b.name).collect::<Vec<_>>(),
        ["UserGroupBlock"]
    );
    let username = &d.fields[1];
    assert_eq!(username.required_from, SubscriptionLifecycle::Provisioning);
    assert!(!username.is_required_in(SubscriptionLifecycle::Initial));
    assert!(username.is_required_in(SubscriptionLifecycle::Active));
    assert!(!username.is_required_in(SubscriptionLifecycle::Terminated));
    assert_eq!(d.fields[2].shape.cardinality, Cardinality::Optional);
    assert_eq!(d.fields[3].value_type().unwrap().kind, ValueKind::Int);
    assert_eq!(d.fields[4].shape.cardinality, Cardinality::List);

    let lag = <LagBlock as ProductBlock>::descriptor();
    assert_eq!(
        (lag.fields[0].min_items, lag.fields[0].max_items),
        (Some(1), Some(8))
    );

    use orch_core::Product;
    let u = <User as Product>::descriptor();
    assert_eq!(u.product_type, "User");
    let fi = u.fixed_inputs().next().unwrap();
    assert_eq!(fi.name, "affiliation");
    assert_eq!(fi.value_type().unwrap().choices, ["internal", "external"]);
    assert!((fi.value_type().unwrap().check)("intern").is_err());
    let uplink = &u.fields[2];
    let members: Vec<_> = uplink.blocks().map(|b| b.name).collect();
    assert_eq!(members, ["PortBlock", "LagBlock"]);
    assert!(matches!(
        uplink.shape.target,
        orch_core::Target::Blocks {
            union: Some("AnyPort"),
            ..
        }
    ));
}

#[test]
fn value_enums_store_their_values() {
    assert_eq!(Affiliation::Internal.to_stored(), "internal");
    assert_eq!(
        Affiliation::from_stored("external"),
        Ok(Affiliation::External)
    );
    let e = Affiliation::from_stored("other").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`other` is not a valid Affiliation: expected one of: internal, external"
    );
    assert_eq!(Speed::TenG.to_stored(), "10000");
    assert_eq!(Speed::CHOICES, ["1000", "10000"]);
}

#[test]
fn the_registry_maps_names_to_types() {
    let registry = orch_core::SUBSCRIPTION_MODEL_REGISTRY.get().unwrap();
    let names: Vec<_> = registry.products().map(|p| p.name).collect();
    assert_eq!(names, ["User Group", "User external", "User internal"]);
    let internal = registry.product("User internal").unwrap();
    let external = registry.product("User external").unwrap();
    assert!(std::ptr::eq(internal.product_type, external.product_type));
    assert_eq!(
        registry.names_of(internal.product_type),
        ["User external", "User internal"]
    );
    let blocks: Vec<_> = registry.blocks().map(|b| b.name).collect();
    assert_eq!(
        blocks,
        ["LagBlock", "PortBlock", "UserBlock", "UserGroupBlock"]
    );
    assert!(registry.product("User").is_none());
}

mod clash {
    use orch_core::{product, product_block};

    /// A second type that claims the block name `UserBlock`.
    #[product_block(name = "UserBlock")]
    pub struct OtherUserBlock {
        pub nickname: Option<String>,
    }

    #[product(product_type = "Other")]
    pub struct Other {
        pub user: OtherUserBlock,
    }
}

fn registered(
    name: &'static str,
    product_type: &'static orch_core::ProductTypeDescriptor,
    line: u32,
) -> orch_core::RegisteredProduct {
    orch_core::RegisteredProduct {
        name,
        product_type,
        location: orch_core::registry::Location {
            file: "src/products.rs",
            line,
        },
    }
}

#[test]
fn a_name_registered_twice_is_an_error_naming_both() {
    use orch_core::Product;
    let err = orch_core::Registry::from_products([
        registered("User internal", <User as Product>::descriptor(), 10),
        registered("User internal", <UserGroup as Product>::descriptor(), 20),
        registered("User Group", <UserGroup as Product>::descriptor(), 30),
    ])
    .unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("product name \"User internal\" is registered twice"),
        "{msg}"
    );
    assert!(
        msg.contains("src/products.rs:10") && msg.contains("src/products.rs:20"),
        "{msg}"
    );
    assert!(
        msg.contains("models::User") && msg.contains("models::UserGroup"),
        "{msg}"
    );
}

#[test]
fn two_types_claiming_one_block_name_is_an_error() {
    use orch_core::Product;
    let err = orch_core::Registry::from_products([
        registered("User internal", <User as Product>::descriptor(), 10),
        registered("Other", <clash::Other as Product>::descriptor(), 20),
    ])
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("product block name \"UserBlock\" is declared by two types"),
        "{msg}"
    );
    assert!(
        msg.contains("models::UserBlock") && msg.contains("models::clash::OtherUserBlock"),
        "{msg}"
    );
    // every problem is listed, not only the first
    let err = orch_core::Registry::from_products([
        registered("User internal", <User as Product>::descriptor(), 10),
        registered("User internal", <User as Product>::descriptor(), 11),
        registered("Other", <clash::Other as Product>::descriptor(), 20),
    ])
    .unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
}

fn lag(members: usize) -> LagBlockInactive {
    LagBlock {
        members: (0..members)
            .map(|_| PortBlock {
                speed: Speed::OneG,
                meta: Default::default(),
            })
            .collect(),
        meta: Default::default(),
    }
}

#[test]
fn list_bounds_hold_in_every_lifecycle() {
    for n in [1, 8] {
        assert_eq!(lag(n).validate(), Ok(()));
        assert!(lag(n).into_lifecycle::<Active>().is_ok());
    }
    for (n, problem) in [
        (0, "members: 0 items, expected 1 to 8"),
        (9, "members: 9 items, expected 1 to 8"),
    ] {
        let invalid = lag(n).validate().unwrap_err();
        assert_eq!(invalid.problems, [problem]);
        assert_eq!(
            invalid.to_string(),
            format!("LagBlock is not valid: {problem}")
        );
        // every move fails, also to the value's own lifecycle and to terminated
        for err in [
            lag(n).into_lifecycle::<Initial>().unwrap_err(),
            lag(n).into_lifecycle::<Active>().unwrap_err(),
            lag(n).into_lifecycle::<Terminated>().unwrap_err(),
        ] {
            assert_eq!(err.invalid, [problem]);
            assert!(err.missing.is_empty());
            assert!(err.to_string().ends_with(problem), "{err}");
        }
    }
}

#[test]
fn list_bounds_are_checked_below_options_and_unions() {
    let product = orch_core::ProductInfo {
        product_id: orch_core::__private::Uuid::nil(),
        name: "User internal".into(),
        description: "user".into(),
        product_type: "User".into(),
        tag: "USER".into(),
        status: orch_core::lifecycle::ProductLifecycle::Active,
        created_at: None,
        end_date: None,
    };
    let user = UserInactive {
        affiliation: Affiliation::Internal,
        user: draft(),
        uplink: Some(AnyPort::Lag(lag(0))),
        meta: orch_core::SubscriptionMeta::new(
            orch_core::__private::Uuid::from_u128(1),
            "c".into(),
            product,
        ),
    };
    assert_eq!(
        user.validate().unwrap_err().problems,
        ["uplink.members: 0 items, expected 1 to 8"]
    );
    let err = user.into_lifecycle::<Active>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "User cannot move to lifecycle active: missing user.group.group_name, \
         user.group.group_id, user.user_id; uplink.members: 0 items, expected 1 to 8"
    );
}

/// Fields named like the parameters and locals of the generated code (`node`, `cx`, `items`,
/// `roots`, ...) do not shadow them.
mod shadowing {
    use orch_core::{Active, Initial, product, product_block};

    #[product_block(name = "ShadowBlock")]
    pub struct ShadowBlock {
        pub node: super::PortBlock,
        pub cx: i64,
        #[items(max = 3)]
        pub items: Vec<i64>,
        pub w: Option<String>,
        pub v: i64,
        pub owner: i64,
    }

    #[product(product_type = "Shadow")]
    pub struct Shadow {
        pub cx: i64,
        pub rcx: i64,
        pub fixed_inputs: i64,
        // optional: its block holds values only a person can give
        pub roots: Option<ShadowBlock>,
    }

    #[test]
    fn fields_named_like_generated_variables_work() {
        let b = ShadowBlock::<Initial> {
            node: super::PortBlock {
                speed: super::Speed::TenG,
                meta: Default::default(),
            },
            cx: 1,
            items: vec![1, 2, 3, 4],
            w: None,
            v: 2,
            owner: 3,
            meta: Default::default(),
        };
        assert_eq!(
            b.validate().unwrap_err().problems,
            ["items: 4 items, expected at most 3"]
        );
        let mut ok = b.clone();
        ok.items.pop();
        let active: ShadowBlock<Active> = ok.into_lifecycle().unwrap();
        assert_eq!((active.cx, active.v, active.owner), (1, 2, 3));
    }
}

/// `new` takes exactly what every lifecycle requires and starts everything else empty, so that
/// adding an optional field, or one required from provisioning or active, changes no call.
#[test]
fn new_takes_what_every_lifecycle_requires() {
    // nothing is required in every lifecycle
    let group: UserGroupBlockInactive = UserGroupBlock::new();
    assert_eq!(group.group_name, None);
    assert_eq!(group.group_id, None);
    // a block field is; the optional, lifecycle-dependent and list fields start empty
    let mut user = UserBlock::new(group);
    assert_eq!(
        (&user.username, user.age, user.user_id, user.nicknames.len()),
        (&None, None, None, 0)
    );
    // a plain value is required, and so is a list with a minimum
    let port = PortBlock::new(Speed::TenG);
    let lag = LagBlock::new(vec![port.clone(), PortBlock::new(Speed::OneG)]);
    assert_eq!(lag.members.len(), 2);
    // a union member is a block like any other
    let uplink = AnyPort::Port(port);
    assert!(matches!(uplink, AnyPort::Port(ref p) if p.speed == Speed::TenG));
    // each is a new instance, and moves once the rest is set
    assert_ne!(
        lag.members[0].meta.subscription_instance_id,
        lag.members[1].meta.subscription_instance_id
    );
    user.username = Some("alice".into());
    user.group.group_name = Some("admins".into());
    assert!(user.clone().into_lifecycle::<Provisioning>().is_ok());
    assert_eq!(
        user.into_lifecycle::<Active>().unwrap_err().missing,
        ["group.group_id", "user_id"]
    );
}
