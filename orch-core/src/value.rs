//! Values of resource types and fixed inputs, and how they are stored.
//!
//! orchestrator-core stores every resource value and fixed input as a string
//! (`subscription_instance_values.value`, `fixed_inputs.value`). [`FieldValue`] is the one trait a
//! type implements to be usable as a resource type or fixed input: a name, and the conversion to
//! and from that stored string. The built-in types store what Python's `str()` stores, so a
//! database is readable by both orch and orchestrator-core.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use uuid::Uuid;

/// What kind of value a resource type or fixed input holds, for prompts, checks and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// Free text.
    Str,
    /// A whole number.
    Int,
    /// `True` or `False`, as Python writes them.
    Bool,
    /// A floating point number.
    Float,
    /// A UUID in lowercase hyphenated form.
    Uuid,
    /// One of a fixed set of stored values (`choices`).
    Enum,
    /// A user type with its own string form.
    Custom,
}

/// A stored string that does not parse as the field's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {type_name}: {reason}")]
pub struct ValueError {
    /// The name of the type the value was meant to be ([`FieldValue::TYPE_NAME`]).
    pub type_name: &'static str,
    /// The stored string.
    pub value: String,
    /// Why it does not parse.
    pub reason: String,
}

impl ValueError {
    /// Builds the error for `value` of type `T`; the reason is shown to the user as is.
    pub fn new<T: FieldValue>(value: &str, reason: impl fmt::Display) -> Self {
        Self {
            type_name: T::TYPE_NAME,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// A type that can be a resource type or a fixed input: it is stored as a string.
///
/// Implement it for your own types (a VLAN range, an IP prefix) with a name and the two
/// conversions; `from_stored(&v.to_stored())` must give back `v`. Enums with string or integer
/// values get it from `#[derive(FieldValue)]`.
///
/// ```
/// use orch_core::{FieldValue, ValueError};
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Vlan(u16);
///
/// impl FieldValue for Vlan {
///     const TYPE_NAME: &'static str = "vlan";
///     fn to_stored(&self) -> String { self.0.to_string() }
///     fn from_stored(s: &str) -> Result<Self, ValueError> {
///         match s.parse::<u16>() {
///             Ok(v @ 1..=4094) => Ok(Vlan(v)),
///             _ => Err(ValueError::new::<Self>(s, "expected a number from 1 to 4094")),
///         }
///     }
/// }
/// assert_eq!(Vlan::from_stored("100"), Ok(Vlan(100)));
/// assert!(Vlan::from_stored("5000").is_err());
/// ```
// The same text as `Field`'s: `Field` is implemented for every `FieldValue`, so an unsatisfied
// `Field` bound on a field type is reported by rustc sometimes as `Field`, sometimes as
// `FieldValue`; with one text, the copies are identical and rustc shows the error once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a resource type nor a product block",
    label = "not a value type or product block",
    note = "a field's type must be a value type (String, an integer, bool, f64, Uuid, an enum with `#[derive(FieldValue)]`, a type implementing `FieldValue`), a `#[product_block]`, a `#[block_union]`, or an `Option`/`Vec` of one of those; a block or union with errors in its own fields is none of these until they are fixed"
)]
pub trait FieldValue: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// A short name shown in prompts and errors, e.g. `int` or `Affiliation`.
    const TYPE_NAME: &'static str;
    /// The kind of value, for the API and for checking answers.
    const KIND: ValueKind = ValueKind::Custom;
    /// For enums: every stored value, in declaration order.
    const CHOICES: &'static [&'static str] = &[];

    /// The string written to the database.
    fn to_stored(&self) -> String;
    /// Parses a string read from the database or given as an answer.
    fn from_stored(s: &str) -> Result<Self, ValueError>;
    /// The value in JSON, as orchestrator-core's API shows it (numbers stay numbers).
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.to_stored())
    }
}

/// A description of a value type that needs no Rust type at hand: what descriptors carry.
#[derive(Clone, Copy)]
pub struct ValueType {
    /// [`FieldValue::TYPE_NAME`].
    pub name: &'static str,
    /// [`FieldValue::KIND`].
    pub kind: ValueKind,
    /// [`FieldValue::CHOICES`].
    pub choices: &'static [&'static str],
    /// Checks that a string parses as this type, e.g. an answer for a default value.
    pub check: fn(&str) -> Result<(), ValueError>,
    /// Parses a stored string and gives its JSON form.
    pub to_json: fn(&str) -> Result<serde_json::Value, ValueError>,
}

impl ValueType {
    /// The descriptor of `T`.
    pub const fn of<T: FieldValue>() -> Self {
        Self {
            name: T::TYPE_NAME,
            kind: T::KIND,
            choices: T::CHOICES,
            check: check_value::<T>,
            to_json: value_to_json::<T>,
        }
    }
}

fn check_value<T: FieldValue>(s: &str) -> Result<(), ValueError> {
    T::from_stored(s).map(|_| ())
}

fn value_to_json<T: FieldValue>(s: &str) -> Result<serde_json::Value, ValueError> {
    T::from_stored(s).map(|v| v.to_json())
}

impl fmt::Debug for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueType")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("choices", &self.choices)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ValueType {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.kind == other.kind && self.choices == other.choices
    }
}

impl FieldValue for String {
    const TYPE_NAME: &'static str = "str";
    const KIND: ValueKind = ValueKind::Str;
    fn to_stored(&self) -> String {
        self.clone()
    }
    fn from_stored(s: &str) -> Result<Self, ValueError> {
        Ok(s.to_owned())
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            const TYPE_NAME: &'static str = stringify!($t);
            const KIND: ValueKind = ValueKind::Int;
            fn to_stored(&self) -> String {
                self.to_string()
            }
            fn from_stored(s: &str) -> Result<Self, ValueError> {
                s.trim().parse().map_err(|e| ValueError::new::<Self>(s, e))
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Value::from(*self)
            }
        }
    )*};
}
int_value!(i8, i16, i32, i64, u8, u16, u32, u64);

impl FieldValue for bool {
    const TYPE_NAME: &'static str = "bool";
    const KIND: ValueKind = ValueKind::Bool;
    const CHOICES: &'static [&'static str] = &["True", "False"];
    /// `True`/`False`, as Python's `str(bool)` writes them.
    fn to_stored(&self) -> String {
        if *self { "True" } else { "False" }.to_owned()
    }
    fn from_stored(s: &str) -> Result<Self, ValueError> {
        match s.trim() {
            "True" | "true" => Ok(true),
            "False" | "false" => Ok(false),
            _ => Err(ValueError::new::<Self>(s, "expected True or False")),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Bool(*self)
    }
}

macro_rules! float_value {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            const TYPE_NAME: &'static str = stringify!($t);
            const KIND: ValueKind = ValueKind::Float;
            /// Shortest form that reads back exactly, with a `.0` on whole numbers as Python writes.
            fn to_stored(&self) -> String {
                format!("{self:?}")
            }
            fn from_stored(s: &str) -> Result<Self, ValueError> {
                s.trim().parse().map_err(|e| ValueError::new::<Self>(s, e))
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Number::from_f64(f64::from(*self))
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
    )*};
}
float_value!(f32, f64);

impl FieldValue for Uuid {
    const TYPE_NAME: &'static str = "UUID";
    const KIND: ValueKind = ValueKind::Uuid;
    /// Lowercase hyphenated, like Python's `str(UUID)`.
    fn to_stored(&self) -> String {
        self.hyphenated().to_string()
    }
    fn from_stored(s: &str) -> Result<Self, ValueError> {
        Uuid::parse_str(s.trim()).map_err(|e| ValueError::new::<Self>(s, e))
    }
}

macro_rules! display_value {
    ($($(#[$doc:meta])* $t:ty => $name:literal),* $(,)?) => {$(
        $(#[$doc])*
        impl FieldValue for $t {
            const TYPE_NAME: &'static str = $name;
            fn to_stored(&self) -> String {
                self.to_string()
            }
            fn from_stored(s: &str) -> Result<Self, ValueError> {
                s.trim().parse().map_err(|e| ValueError::new::<Self>(s, e))
            }
        }
    )*};
}
display_value!(
    /// An IPv4 or IPv6 address (pydantic's `IPvAnyAddress`), stored as Python's `str()` of an
    /// `ipaddress` address: `10.0.0.1`, `2001:db8::1`. An address with a `:` is IPv6.
    IpAddr => "IPAddress",
    /// An IPv4 address (Python's `IPv4Address`), stored in dotted decimal: `10.0.0.1`. Leading
    /// zeros (`010.0.0.1`) are refused, as Python refuses them.
    Ipv4Addr => "IPv4Address",
    /// An IPv6 address (Python's `IPv6Address`), stored as Python writes it: lowercase, the
    /// longest run of zero groups compressed (`2001:db8::1`). Any valid spelling is read.
    Ipv6Addr => "IPv6Address",
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: FieldValue>(v: T, stored: &str) {
        assert_eq!(v.to_stored(), stored);
        assert_eq!(T::from_stored(stored), Ok(v));
        assert!((ValueType::of::<T>().check)(stored).is_ok());
    }

    #[test]
    fn built_in_types_store_what_python_stores() {
        round_trip(String::from("it's \"x\"\n"), "it's \"x\"\n");
        round_trip(-42i64, "-42");
        round_trip(0u8, "0");
        round_trip(true, "True");
        round_trip(false, "False");
        round_trip(1.0f64, "1.0");
        round_trip(0.1f64, "0.1");
        let id = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        round_trip(id, "12345678-9abc-def0-1234-56789abcdef0");
        round_trip(IpAddr::from([10, 0, 0, 1]), "10.0.0.1");
        round_trip("2001:db8::1".parse::<Ipv6Addr>().unwrap(), "2001:db8::1");
    }

    #[test]
    fn addresses_store_what_python_stores() {
        round_trip(Ipv4Addr::new(192, 0, 2, 7), "192.0.2.7");
        round_trip(Ipv4Addr::UNSPECIFIED, "0.0.0.0");
        round_trip(IpAddr::from(Ipv6Addr::LOCALHOST), "::1");
        round_trip(Ipv6Addr::UNSPECIFIED, "::");
        // any spelling is read; the stored form is Python's: lowercase, zeros compressed
        let v6 = Ipv6Addr::from_stored("2001:DB8:0:0:0:0:0:1").unwrap();
        assert_eq!(v6.to_stored(), "2001:db8::1");
        assert_eq!(
            IpAddr::from_stored(" 10.0.0.1 "),
            Ok(IpAddr::from([10, 0, 0, 1]))
        );
        assert!(matches!(IpAddr::from_stored("fe80::1"), Ok(IpAddr::V6(_))));
        assert_eq!(ValueType::of::<IpAddr>().kind, ValueKind::Custom);
        assert_eq!(
            (ValueType::of::<Ipv4Addr>().to_json)("10.0.0.1").unwrap(),
            serde_json::json!("10.0.0.1"),
            "a string in JSON, as pydantic dumps it"
        );
    }

    #[test]
    fn bad_addresses_are_clear_errors() {
        let msg = |e: ValueError| e.to_string();
        assert_eq!(
            msg(Ipv4Addr::from_stored("10.0.0.256").unwrap_err()),
            "`10.0.0.256` is not a valid IPv4Address: invalid IPv4 address syntax"
        );
        assert_eq!(
            msg(Ipv6Addr::from_stored("2001:db8::g").unwrap_err()),
            "`2001:db8::g` is not a valid IPv6Address: invalid IPv6 address syntax"
        );
        assert_eq!(
            msg(IpAddr::from_stored("10.0.0").unwrap_err()),
            "`10.0.0` is not a valid IPAddress: invalid IP address syntax"
        );
        // what Python's ipaddress refuses too: leading zeros, the other family, a prefix
        for bad in ["010.0.0.1", "::1", "10.0.0.0/24", ""] {
            assert!(Ipv4Addr::from_stored(bad).is_err(), "{bad:?}");
        }
        assert!(Ipv6Addr::from_stored("10.0.0.1").is_err());
        assert!((ValueType::of::<IpAddr>().check)("example.net").is_err());
    }

    #[test]
    fn bad_strings_are_clear_errors() {
        let e = i64::from_stored("12a").unwrap_err();
        assert_eq!(e.type_name, "i64");
        assert!(e.to_string().starts_with("`12a` is not a valid i64"));
        assert!(bool::from_stored("yes").is_err());
        assert!(u8::from_stored("300").is_err());
        assert!(Uuid::from_stored("not-a-uuid").is_err());
        assert!((ValueType::of::<i32>().check)("x").is_err());
    }

    #[test]
    fn json_keeps_numbers_and_booleans() {
        assert_eq!(5i64.to_json(), serde_json::json!(5));
        assert_eq!(true.to_json(), serde_json::json!(true));
        assert_eq!(1.5f64.to_json(), serde_json::json!(1.5));
        assert_eq!(String::from("a").to_json(), serde_json::json!("a"));
        assert_eq!(
            (ValueType::of::<u16>().to_json)("7").unwrap(),
            serde_json::json!(7)
        );
    }
}
