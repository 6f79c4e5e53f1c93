//! Decoding JSON into the report model the way Go's `encoding/json` decodes it into Trivy's
//! structs (Go src/encoding/json/decode.go and fold.go, Go 1.24, the Go Trivy 0.76 is built
//! with). serde's derive differs from Go on four points that change what a gate decides, so
//! the report model implements [`GoDecode`] (through `go_struct!`) instead:
//!
//! - **Key matching.** An object key selects the field whose name equals it; failing that,
//!   the field whose name it equals under Go's folding ([`go_fold_eq`]): ASCII letters
//!   without case, plus `ſ` (U+017F) as `s` and the Kelvin sign (U+212A) as `k`, the only
//!   non-ASCII runes whose fold class holds an ASCII letter. `"severity"` and `"ſeverity"`
//!   are `Severity`.
//! - **Duplicate keys.** Each occurrence is decoded into the field as it stands, so the last
//!   wins for a string or a number, objects merge field by field, and a second array is
//!   decoded element by element over the first (then cut to its own length).
//! - **Types.** A value of the wrong JSON type (an array where an object belongs, a string
//!   where an array belongs) is an error: Go's `Unmarshal` returns it and Trivy refuses the
//!   whole report. Fields kept raw are checked for their JSON type ([`RawKind`]), times
//!   with Go's `time.Time` parser.
//! - **null.** `null` leaves a string, number, bool or struct as it is (its zero value when
//!   the key was not seen before) and sets a slice, map or pointer to nil.
//!
//! Unknown keys are skipped.

use std::borrow::Cow;
use std::fmt;

use crate::status::Status;
use serde::Deserializer;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A type Go's `encoding/json` decodes into in place.
pub trait GoDecode<'de> {
    /// Decode one JSON value from `d` into `self`, as Go decodes into an existing value.
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error>;
}

/// A [`DeserializeSeed`] that decodes into `&mut T` ([`GoDecode`]).
pub struct Into<'s, T>(pub &'s mut T);

impl<'de, T: GoDecode<'de>> DeserializeSeed<'de> for Into<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.go_decode(d)
    }
}

/// Whether `key` equals the ASCII field name `field` under Go's key folding
/// (src/encoding/json/fold.go `foldName`: ASCII letters upper-cased, every other rune
/// replaced by the smallest rune of its Unicode fold class; only `ſ` and `K` (Kelvin) have
/// an ASCII letter there, `S` and `K`).
pub fn go_fold_eq(key: &str, field: &str) -> bool {
    let mut f = field.bytes();
    for c in key.chars() {
        let folded = match c {
            '\u{17f}' => b'S',
            '\u{212a}' => b'K',
            c if c.is_ascii() => (c as u8).to_ascii_uppercase(),
            _ => return false,
        };
        match f.next() {
            Some(b) if b.to_ascii_uppercase() == folded => {}
            _ => return false,
        }
    }
    f.next().is_none()
}

/// The field among `fields` that `key` selects when no field is named exactly `key` (the
/// first that folds equal, as Go's `byFoldedName` keeps the dominant field).
pub fn go_fold_field(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    fields.iter().copied().find(|f| go_fold_eq(key, f))
}

/// An object key, borrowed from the document when it has no escapes.
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Implements [`GoDecode`] and `serde::Deserialize` for a report struct: each field with
/// its JSON name, and for a field kept as raw JSON, the JSON type Go's field has
/// ([`RawKind`]), or `status` for trivy-db's status type ([`StatusSlot`]).
macro_rules! go_struct {
    ($ty:ident { $($field:ident : $name:literal $(as $kind:ident)?),* $(,)? }) => {
        impl<'de: 'a, 'a> $crate::report::gojson::GoDecode<'de> for $ty<'a> {
            fn go_decode<D: serde::Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
                use serde::de::{IgnoredAny, MapAccess, Visitor};
                use $crate::report::gojson::{Key, go_fold_field};
                const FIELDS: &[&str] = &[$($name),*];
                struct V<'s, 'a>(&'s mut $ty<'a>);
                impl<'de: 'a, 'a> Visitor<'de> for V<'_, 'a> {
                    type Value = ();
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("an object (Trivy's ", stringify!($ty), ")"))
                    }
                    // `null` leaves a struct as it is.
                    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
                        Ok(())
                    }
                    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
                        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                            let name = match &*key {
                                $($name => Some($name),)*
                                other => go_fold_field(other, FIELDS),
                            };
                            match name {
                                $(Some($name) => go_struct!(@value map, self.0.$field $(, $kind)?),)*
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(())
                    }
                }
                d.deserialize_any(V(self))
            }
        }

        impl<'a> $crate::report::gojson::GoStruct for $ty<'a> {}

        impl $ty<'_> {
            /// The JSON names of the fields Trivy's Go struct has.
            pub const GO_FIELDS: &'static [&'static str] = &[$($name),*];
        }

        impl<'de: 'a, 'a> serde::Deserialize<'de> for $ty<'a> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let mut v = Self::default();
                $crate::report::gojson::GoDecode::go_decode(&mut v, d)?;
                Ok(v)
            }
        }
    };
    (@value $map:ident, $slot:expr) => {
        $map.next_value_seed($crate::report::gojson::Into(&mut $slot))?
    };
    (@value $map:ident, $slot:expr, status) => {
        $map.next_value_seed($crate::report::gojson::StatusSlot(&mut $slot))?
    };
    (@value $map:ident, $slot:expr, $kind:ident) => {
        $map.next_value_seed($crate::report::gojson::Raw(
            &mut $slot,
            $crate::report::gojson::RawKind::$kind,
        ))?
    };
}
pub(crate) use go_struct;

/// A JSON string handed to `F` (borrowed from the input when it has no escapes); `null`
/// leaves the slot as it is, as Go's decoder does.
struct StrV<F>(F);

impl<'de: 'a, 'a, F: FnOnce(Cow<'a, str>)> Visitor<'de> for StrV<F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        (self.0)(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        (self.0)(Cow::Owned(v.to_owned()));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        (self.0)(Cow::Owned(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Go `string`: `null` leaves it.
impl<'de: 'a, 'a> GoDecode<'de> for Cow<'a, str> {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(StrV(|s| *self = s))
    }
}

/// Go `string` whose presence the model records: `null` leaves it.
impl<'de: 'a, 'a> GoDecode<'de> for Option<Cow<'a, str>> {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(StrV(|s| *self = Some(s)))
    }
}

/// Go `int` (recorded as present or not): `null` leaves it; a fraction or a value out of
/// range is an error.
impl<'de> GoDecode<'de> for Option<i64> {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        struct V<'s>(&'s mut Option<i64>);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E>(self, v: i64) -> Result<(), E> {
                *self.0 = Some(v);
                Ok(())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
                let v = i64::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))?;
                *self.0 = Some(v);
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                Ok(())
            }
        }
        d.deserialize_any(V(self))
    }
}

/// Go `bool`: `null` leaves it.
impl<'de> GoDecode<'de> for bool {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        struct V<'s>(&'s mut bool);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<(), E> {
                *self.0 = v;
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                Ok(())
            }
        }
        d.deserialize_any(V(self))
    }
}

/// A struct of the model (implemented by `go_struct!`).
pub trait GoStruct {}

/// A Go pointer to a struct: `null` sets it to nil; an object decodes into the pointee
/// (allocated when nil).
impl<'de, T: GoDecode<'de> + GoStruct + Default> GoDecode<'de> for Option<T> {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        struct V<'s, T>(&'s mut Option<T>);
        impl<'de, T: GoDecode<'de> + Default> Visitor<'de> for V<'_, T> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_none<E>(self) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                self.0.get_or_insert_with(T::default).go_decode(d)
            }
        }
        d.deserialize_option(V(self))
    }
}

/// A Go slice whose presence the model records: `null` sets it to nil (absent).
impl<'de, T: GoDecode<'de> + Default> GoDecode<'de> for Option<Vec<T>> {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        struct V<'s, T>(&'s mut Option<Vec<T>>);
        impl<'de, T: GoDecode<'de> + Default> Visitor<'de> for V<'_, T> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or null")
            }
            fn visit_none<E>(self) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                self.0.get_or_insert_with(Vec::new).go_decode(d)
            }
        }
        d.deserialize_option(V(self))
    }
}

/// A Go slice: `null` sets it to nil; an array is decoded element by element into the
/// elements already there (a duplicate key), then cut to its length.
impl<'de, T: GoDecode<'de> + Default> GoDecode<'de> for Vec<T> {
    fn go_decode<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(VecV(self))
    }
}

struct VecV<'s, T>(&'s mut Vec<T>);

impl<'de, T: GoDecode<'de> + Default> Visitor<'de> for VecV<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.clear();
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let v = self.0;
        let mut i = 0;
        loop {
            if i == v.len() {
                let mut elem = T::default();
                if seq.next_element_seed(Into(&mut elem))?.is_none() {
                    break;
                }
                v.push(elem);
            } else if seq.next_element_seed(Into(&mut v[i]))?.is_none() {
                break;
            }
            i += 1;
        }
        v.truncate(i);
        Ok(())
    }
}

/// The JSON type of a field kept as raw JSON, which Go decodes into a typed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// A struct or a map (`null` leaves a struct, clears a map: both read as absent here).
    Object,
    /// A slice.
    Array,
    /// A `time.Time`, which must parse as Go parses it.
    Time,
}

/// A raw field: the value's JSON type is checked; `null` makes it absent.
pub struct Raw<'s, 'a>(pub &'s mut Option<&'a RawValue>, pub RawKind);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Raw<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let raw = <&'de RawValue as serde::Deserialize>::deserialize(d)?;
        let text = raw.get();
        let ok = match (text.as_bytes().first(), self.1) {
            (Some(b'n'), _) => {
                *self.0 = None;
                return Ok(());
            }
            (Some(b'{'), RawKind::Object) | (Some(b'['), RawKind::Array) => true,
            (Some(b'"'), RawKind::Time) => {
                let s: String = serde_json::from_str(text).map_err(de::Error::custom)?;
                crate::vex::decode::go_time(&s).map_err(de::Error::custom)?;
                true
            }
            _ => false,
        };
        if !ok {
            return Err(de::Error::invalid_type(
                unexpected(text),
                &match self.1 {
                    RawKind::Object => "an object",
                    RawKind::Array => "an array",
                    RawKind::Time => "a time string",
                },
            ));
        }
        *self.0 = Some(raw);
        Ok(())
    }
}

pub(crate) fn unexpected(text: &str) -> de::Unexpected<'static> {
    match text.as_bytes().first() {
        Some(b'{') => de::Unexpected::Map,
        Some(b'[') => de::Unexpected::Seq,
        Some(b'"') => de::Unexpected::Other("string"),
        Some(b't' | b'f') => de::Unexpected::Other("boolean"),
        _ => de::Unexpected::Other("number"),
    }
}

/// trivy-db's `types.Status` (pkg/types/status.go `UnmarshalJSON`): a string naming one of
/// the statuses, exactly; any other string and `null` are `unknown` (absent here, as Trivy
/// omits it); another JSON type is an error.
pub struct StatusSlot<'s>(pub &'s mut Option<Status>);

impl<'de> DeserializeSeed<'de> for StatusSlot<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        struct V<'s>(&'s mut Option<Status>);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status string")
            }
            fn visit_str<E>(self, v: &str) -> Result<(), E> {
                *self.0 = Status::parse(v).filter(|s| *s != Status::Unknown);
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
        }
        d.deserialize_any(V(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_folding() {
        for (key, field) in [
            ("Severity", "Severity"),
            ("severity", "Severity"),
            ("SEVERITY", "Severity"),
            ("\u{17f}everity", "Severity"),
            ("\u{17f}EVERITY", "Severity"),
            ("\u{212a}ey", "Key"),
            ("pkgname", "PkgName"),
        ] {
            assert!(go_fold_eq(key, field), "{key} {field}");
        }
        for (key, field) in [
            ("Severit", "Severity"),
            ("Severityy", "Severity"),
            ("S\u{e9}verity", "Severity"),
            ("\u{130}D", "ID"),
            ("\u{131}D", "ID"),
            ("Pkg_Name", "PkgName"),
        ] {
            assert!(!go_fold_eq(key, field), "{key} {field}");
        }
    }
}
