//! Field-by-field parsing of a JSON object into typed values, collecting one message per
//! bad field for `details.fields`. No coercion: `12345` is not a string, `1.0` is not an
//! integer, `null` is only accepted where a field says so.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::ApiError;

/// Whether a key or anything inside a value holds the NUL character.
/// The largest magnitude a free-form number may have. PostgreSQL's `jsonb` stores
/// numbers as exact decimals and gives them back written out in full (a 309-digit
/// integer for 1.7e308), which no longer reads back as a double; below 1e307 every double
/// makes the round trip, so both backends keep exactly the same documents.
pub(crate) const MAX_FREE_FORM_NUMBER: f64 = 1e307;

/// Whether a free-form value holds something one backend cannot store as the other
/// does: U+0000 in a key or string, or a number too large to make the round trip.
fn unstorable(key: &str, v: &Value) -> bool {
    key.contains('\0')
        || match v {
            Value::String(s) => s.contains('\0'),
            Value::Number(n) => n.as_f64().is_none_or(|f| f.abs() >= MAX_FREE_FORM_NUMBER),
            Value::Array(a) => a.iter().any(|x| unstorable("", x)),
            Value::Object(o) => o.iter().any(|(k, x)| unstorable(k, x)),
            _ => false,
        }
}

/// Whether a field was absent, null, or had a value.
pub enum Presence<'a> {
    /// Not in the object.
    Absent,
    /// Explicit `null`.
    Null,
    /// A value.
    Value(&'a Value),
}

/// A JSON object being parsed, with the errors found so far.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    errors: Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// Starts parsing an object.
    pub fn new(obj: &'a Map<String, Value>) -> Self {
        Self {
            obj,
            errors: Map::new(),
        }
    }

    /// Records an error for a field (the first one wins).
    pub fn fail(&mut self, name: &str, msg: impl Into<String>) {
        self.errors
            .entry(name.to_owned())
            .or_insert(Value::String(msg.into()));
    }

    /// How a field is present.
    pub fn presence(&self, name: &str) -> Presence<'a> {
        match self.obj.get(name) {
            None => Presence::Absent,
            Some(Value::Null) => Presence::Null,
            Some(v) => Presence::Value(v),
        }
    }

    /// True when the object has the field (null included).
    pub fn has(&self, name: &str) -> bool {
        self.obj.contains_key(name)
    }

    fn typed<T>(
        &mut self,
        name: &str,
        required: bool,
        nullable: bool,
        get: impl FnOnce(&'a Value) -> Option<T>,
        ty: &str,
    ) -> Option<Option<T>> {
        match self.presence(name) {
            Presence::Absent if required => {
                self.fail(name, "is required");
                None
            }
            Presence::Absent => Some(None),
            Presence::Null if nullable => Some(None),
            Presence::Null => {
                self.fail(name, "must not be null");
                None
            }
            Presence::Value(v) => match get(v) {
                Some(t) => Some(Some(t)),
                None => {
                    self.fail(name, format!("must be {ty}"));
                    None
                }
            },
        }
    }

    /// A required string, parsed by `parse`.
    pub fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let s = self.typed(name, true, false, Value::as_str, "a string")??;
        self.parsed(name, s, parse)
    }

    /// An optional string; absent or (when `nullable`) null gives `Some(None)`.
    pub fn optional<T>(
        &mut self,
        name: &str,
        nullable: bool,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.typed(name, false, nullable, Value::as_str, "a string")? {
            None => Some(None),
            Some(s) => self.parsed(name, s, parse).map(Some),
        }
    }

    fn parsed<T>(
        &mut self,
        name: &str,
        s: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(s) {
            Ok(t) => Some(t),
            Err(msg) => {
                self.fail(name, msg);
                None
            }
        }
    }

    /// An integer in `range`; `None` inside means absent.
    pub fn int(
        &mut self,
        name: &str,
        required: bool,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<Option<i64>> {
        let v = self.typed(name, required, false, Value::as_i64, "an integer")?;
        match v {
            Some(n) if !range.contains(&n) => {
                self.fail(
                    name,
                    format!("must be between {} and {}", range.start(), range.end()),
                );
                None
            }
            other => Some(other),
        }
    }

    /// A required boolean.
    pub fn required_bool(&mut self, name: &str) -> Option<bool> {
        self.typed(name, true, false, Value::as_bool, "a boolean")?
    }

    /// An optional boolean (never null).
    pub fn bool(&mut self, name: &str) -> Option<Option<bool>> {
        self.typed(name, false, false, Value::as_bool, "a boolean")
    }

    /// An optional object (never null).
    pub fn object(&mut self, name: &str) -> Option<Option<Map<String, Value>>> {
        self.typed(name, false, false, Value::as_object, "an object")
            .map(|o| o.cloned())
    }

    /// An optional object of free-form JSON (never null). No key or string in it may hold
    /// U+0000 (PostgreSQL's `jsonb` cannot store it) and no number may reach 1e307 in
    /// magnitude (see [`MAX_FREE_FORM_NUMBER`]): both backends must accept, and give back,
    /// the same documents.
    pub fn free_form_object(&mut self, name: &str) -> Option<Option<Map<String, Value>>> {
        let obj = self.object(name)?;
        if obj
            .as_ref()
            .is_some_and(|m| m.iter().any(|(k, v)| unstorable(k, v)))
        {
            self.fail(
                name,
                "must be an object whose keys and strings do not contain U+0000 and whose \
                 numbers are below 1e307 in magnitude",
            );
            return None;
        }
        Some(obj)
    }

    /// An optional RFC 3339 time; null allowed when `nullable`.
    pub fn time(&mut self, name: &str, nullable: bool) -> Option<Option<DateTime<Utc>>> {
        self.optional(name, nullable, |s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 time such as 2026-11-25T16:00:00Z".to_owned())
        })
    }

    /// An optional array of short strings (never null).
    pub fn string_list(
        &mut self,
        name: &str,
        max_items: usize,
        max_len: usize,
    ) -> Option<Option<Vec<String>>> {
        let arr = self.typed(name, false, false, Value::as_array, "an array of strings")?;
        let Some(arr) = arr else { return Some(None) };
        if arr.len() > max_items {
            self.fail(name, format!("must have at most {max_items} items"));
            return None;
        }
        let mut out = Vec::with_capacity(arr.len());
        for v in arr {
            match v.as_str() {
                Some(s)
                    if !s.is_empty()
                        && s.chars().count() <= max_len
                        && !s.chars().any(char::is_control) =>
                {
                    out.push(s.to_owned())
                }
                _ => {
                    self.fail(
                        name,
                        format!("must be an array of strings of 1 to {max_len} characters"),
                    );
                    return None;
                }
            }
        }
        Some(Some(out))
    }

    /// Ends parsing: `422` with every bad field, or the value `build` makes.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        if !self.errors.is_empty() {
            return Err(ApiError::validation(self.errors));
        }
        build().ok_or_else(|| ApiError::internal("field parser produced no value without an error"))
    }
}
