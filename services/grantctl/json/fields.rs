//! Reading one JSON object of the proto3 JSON mapping: names in
//! lowerCamelCase or snake_case, unknown names refused, null as unset,
//! int64 as number or string, enums by name or number, money checked
//! against its currency's minor unit.

use gba_grants::proto::v1;
use serde_json::{Map, Value};

use super::{camel, snake};
use crate::error::{CliError, Result};
use crate::timefmt;

/// Reads the fields of one JSON object, refusing names it does not know.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// `known` are the proto field names (snake_case).
    pub fn new(value: &'a Value, path: &str, known: &[&str]) -> Result<Self> {
        let Value::Object(map) = value else {
            return Err(CliError::invalid(path, "must be a JSON object"));
        };
        for key in map.keys() {
            let name = snake(key);
            if !known.contains(&name.as_str()) && !known.contains(&key.as_str()) {
                return Err(CliError::invalid(
                    path,
                    format!(
                        "unknown field {key:?}; known: {}",
                        known.iter().map(|k| camel(k)).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        Ok(Self {
            map,
            path: path.to_owned(),
        })
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map
            .get(&camel(name))
            .or_else(|| self.map.get(name))
            .filter(|v| !v.is_null())
    }

    /// The proto names of the fields present (for an update mask).
    pub fn present(&self) -> Vec<String> {
        self.map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| snake(k))
            .collect()
    }

    pub fn err(&self, name: &str, problem: impl std::fmt::Display) -> CliError {
        CliError::invalid(&format!("{}.{}", self.path, name), problem)
    }

    pub fn string(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err(name, "must be a string")),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(name, "must be true or false")),
        }
    }

    /// An integer given as a JSON number or a decimal string.
    pub fn int64(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| self.err(name, "must be an integer")),
            Some(Value::String(s)) => s.parse().map(Some).map_err(|_| self.err(name, "must be an integer")),
            Some(_) => Err(self.err(name, "must be an integer")),
        }
    }

    pub fn int32(&self, name: &str) -> Result<Option<i32>> {
        self.int64(name)?
            .map(|v| i32::try_from(v).map_err(|_| self.err(name, "is out of range for int32")))
            .transpose()
    }

    /// A double given as a JSON number or a decimal string.
    pub fn double(&self, name: &str) -> Result<Option<f64>> {
        let number = match self.get(name) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(_) => None,
        };
        number
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| self.err(name, "must be a number"))
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.err(name, "must hold strings"))
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(self.err(name, "must be an array of strings")),
        }
    }

    /// An enum by value name (`REGION_MACAO`) or number.
    pub fn enumeration(&self, name: &str, value: &Value, parse: fn(&str) -> Option<i32>) -> Result<i32> {
        match value {
            Value::String(s) => parse(s).ok_or_else(|| self.err(name, format!("{s:?} is not a known value"))),
            Value::Number(n) => n
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| self.err(name, "must be an enum value name")),
            _ => Err(self.err(name, "must be an enum value name")),
        }
    }

    pub fn enum_one(&self, name: &str, parse: fn(&str) -> Option<i32>) -> Result<Option<i32>> {
        self.get(name).map(|v| self.enumeration(name, v, parse)).transpose()
    }

    pub fn enum_list(&self, name: &str, parse: fn(&str) -> Option<i32>) -> Result<Option<Vec<i32>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| self.enumeration(name, v, parse))
                .collect::<Result<_>>()
                .map(Some),
            Some(_) => Err(self.err(name, "must be an array")),
        }
    }

    /// A nested message's fields.
    pub fn object(&self, name: &str, known: &[&str]) -> Result<Option<Fields<'a>>> {
        self.get(name)
            .map(|v| Fields::new(v, &format!("{}.{}", self.path, name), known))
            .transpose()
    }

    /// A repeated nested message: the fields of each element.
    pub fn objects(&self, name: &str, known: &[&str]) -> Result<Option<Vec<Fields<'a>>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Fields::new(v, &format!("{}.{}[{i}]", self.path, name), known))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(self.err(name, "must be an array of objects")),
        }
    }

    pub fn time(&self, name: &str) -> Result<Option<prost_types::Timestamp>> {
        self.string(name)?
            .map(|s| timefmt::parse(&s).map_err(|e| self.err(name, e)))
            .transpose()
    }

    pub fn money(&self, name: &str) -> Result<Option<v1::Money>> {
        let Some(m) = self.object(name, &["currency_code", "units", "nanos"])? else {
            return Ok(None);
        };
        let money = v1::Money {
            currency_code: m.string("currency_code")?.unwrap_or_default(),
            units: m.int64("units")?.unwrap_or_default(),
            nanos: m.int32("nanos")?.unwrap_or_default(),
        };
        let step = 10_i32.pow(9 - crate::money::exponent(&money.currency_code).min(9));
        if money.nanos % step != 0 {
            return Err(self.err(
                name,
                format!("has more precision than {}'s minor unit", money.currency_code),
            ));
        }
        Ok(Some(money))
    }

    /// A ResourceAmount: its unit and count of steps (`value` is output
    /// only: checked for shape, then dropped).
    pub fn resource(&self, name: &str) -> Result<Option<v1::ResourceAmount>> {
        let Some(r) = self.object(name, &["unit", "steps", "value"])? else {
            return Ok(None);
        };
        r.string("value")?;
        Ok(Some(v1::ResourceAmount {
            unit: r.string("unit")?.unwrap_or_default(),
            steps: r.int64("steps")?.unwrap_or_default(),
            value: String::new(),
        }))
    }

    fn period_of(f: &Fields) -> Result<v1::Period> {
        Ok(v1::Period {
            start_time: f.time("start_time")?,
            end_time: f.time("end_time")?,
        })
    }

    /// A Period: `{"startTime": …, "endTime": …}`.
    pub fn period(&self, name: &str) -> Result<Option<v1::Period>> {
        self.object(name, PERIOD)?.map(|p| Self::period_of(&p)).transpose()
    }

    /// A repeated Period.
    pub fn periods(&self, name: &str) -> Result<Option<Vec<v1::Period>>> {
        self.objects(name, PERIOD)?
            .map(|ps| ps.iter().map(Self::period_of).collect())
            .transpose()
    }
}

const PERIOD: &[&str] = &["start_time", "end_time"];
