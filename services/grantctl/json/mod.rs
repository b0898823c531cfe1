//! The proto3 JSON mapping, by hand for the few messages grantctl prints
//! and reads (prost types have no serde): lowerCamelCase names (snake_case
//! accepted on input), enums by value name, int64 as strings, Timestamps as
//! RFC 3339, default values left out of the output. Teams and sign-off
//! are in `team.rs`; schedules, reports and their outputs in `report.rs`;
//! webhooks and their deliveries in `webhook.rs`.

mod fields;
pub mod input;
pub mod out;
pub mod report;
pub mod team;
pub mod webhook;

pub use fields::Fields;

use gba_grants::proto::v1;
use serde_json::{Map, Value};

use crate::timefmt;

/// `requested_amount` → `requestedAmount`.
pub fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `requestedAmount` → `requested_amount`.
pub fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Builds one JSON object, leaving out default values as proto3 JSON does.
#[derive(Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Self {
        Self::default()
    }

    fn put(mut self, key: &str, value: Value) -> Self {
        self.0.insert(camel(key), value);
        self
    }

    pub fn str(self, key: &str, value: &str) -> Self {
        if value.is_empty() {
            self
        } else {
            self.put(key, value.into())
        }
    }

    pub fn int32(self, key: &str, value: i32) -> Self {
        if value == 0 { self } else { self.put(key, value.into()) }
    }

    pub fn int64(self, key: &str, value: i64) -> Self {
        if value == 0 {
            self
        } else {
            self.put(key, value.to_string().into())
        }
    }

    /// A double as a JSON number (0, NaN and infinities are left out:
    /// the server sends neither of the latter).
    pub fn double(self, key: &str, value: f64) -> Self {
        match serde_json::Number::from_f64(value) {
            Some(n) if value != 0.0 => self.put(key, Value::Number(n)),
            _ => self,
        }
    }

    pub fn bool(self, key: &str, value: bool) -> Self {
        if value { self.put(key, true.into()) } else { self }
    }

    /// An enum by its value name; the zero value is left out.
    pub fn enumeration(self, key: &str, value: i32, name: Option<&str>) -> Self {
        match (value, name) {
            (0, _) => self,
            (_, Some(n)) => self.put(key, n.into()),
            (v, None) => self.put(key, v.into()),
        }
    }

    pub fn strs(self, key: &str, values: &[String]) -> Self {
        if values.is_empty() {
            self
        } else {
            self.put(key, values.into())
        }
    }

    pub fn list(self, key: &str, values: Vec<Value>) -> Self {
        if values.is_empty() {
            self
        } else {
            self.put(key, Value::Array(values))
        }
    }

    pub fn money(self, key: &str, value: Option<&v1::Money>) -> Self {
        match value {
            Some(m) => self.put(key, money(m)),
            None => self,
        }
    }

    /// A ResourceAmount: `{"unit": "beam-h", "steps": "193", "value": "96.5"}`.
    pub fn resource(self, key: &str, value: Option<&v1::ResourceAmount>) -> Self {
        match value {
            Some(r) => self.put(key, resource(r)),
            None => self,
        }
    }

    pub fn time(self, key: &str, value: Option<&prost_types::Timestamp>) -> Self {
        match value {
            Some(t) => self.put(key, timefmt::format(t).into()),
            None => self,
        }
    }

    pub fn object(self, key: &str, value: Option<Value>) -> Self {
        match value {
            Some(v) => self.put(key, v),
            None => self,
        }
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

/// `{"unit": "beam-h", "steps": "193", "value": "96.5"}`: the value as
/// the server sent it, else the exact decimal of the steps (steps left
/// out when 0, as proto3 JSON leaves out defaults).
pub fn resource(r: &v1::ResourceAmount) -> Value {
    let value = if r.value.is_empty() {
        crate::resource::plain(r)
    } else {
        r.value.clone()
    };
    let mut map = Map::new();
    if !r.unit.is_empty() {
        map.insert("unit".into(), r.unit.clone().into());
    }
    if r.steps != 0 {
        map.insert("steps".into(), r.steps.to_string().into());
    }
    map.insert("value".into(), value.into());
    Value::Object(map)
}

/// `{"startTime": …, "endTime": …}`.
pub fn period(p: &v1::Period) -> Value {
    Obj::new()
        .time("start_time", p.start_time.as_ref())
        .time("end_time", p.end_time.as_ref())
        .build()
}

/// `google.type.Money`-shaped: `{"currencyCode": "CNY", "units": "750000"}`.
pub fn money(m: &v1::Money) -> Value {
    Obj::new()
        .str("currency_code", &m.currency_code)
        .int64("units", m.units)
        .int32("nanos", m.nanos)
        .build()
}
