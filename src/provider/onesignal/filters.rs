//! `audience.filters`: OneSignal's filter objects (providers.md §1.3, the `Filter` and
//! `Operator` schemas of the OpenAPI document). Each entry is a condition on a documented field
//! with a relation that field allows, or an `{"operator": "OR"}` / `{"operator": "AND"}` between
//! groups. Anything else is refused before sending, naming the entry and the key.

use serde_json::Value;

use crate::draft::DraftError;

/// OneSignal's documented limit, operators included.
pub const MAX_FILTERS: usize = 200;

/// What a field compares, beside its relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// `key` (the tag name) and `value`; unary relations take no value.
    KeyValue,
    /// `value`.
    Value,
    /// `hours_ago`.
    HoursAgo,
    /// `radius` (metres), `lat`, `long`; no relation.
    Location,
}

/// One documented filter field.
#[derive(Debug, Clone, Copy)]
pub struct FilterField {
    pub name: &'static str,
    pub relations: &'static [&'static str],
    pub operand: Operand,
}

const ALL_RELATIONS: &[&str] = &[
    ">",
    "<",
    "=",
    "!=",
    "exists",
    "not_exists",
    "time_elapsed_gt",
    "time_elapsed_lt",
];
const ORDER: &[&str] = &[">", "<"];
const COMPARE: &[&str] = &[">", "<", "=", "!="];

/// The fields OneSignal documents, in the order the builder offers them.
pub const FIELDS: &[FilterField] = &[
    FilterField {
        name: "tag",
        relations: ALL_RELATIONS,
        operand: Operand::KeyValue,
    },
    FilterField {
        name: "language",
        relations: &["=", "!="],
        operand: Operand::Value,
    },
    FilterField {
        name: "country",
        relations: &["="],
        operand: Operand::Value,
    },
    FilterField {
        name: "app_version",
        relations: COMPARE,
        operand: Operand::Value,
    },
    FilterField {
        name: "first_session",
        relations: ORDER,
        operand: Operand::HoursAgo,
    },
    FilterField {
        name: "last_session",
        relations: ORDER,
        operand: Operand::HoursAgo,
    },
    FilterField {
        name: "session_count",
        relations: COMPARE,
        operand: Operand::Value,
    },
    FilterField {
        name: "session_time",
        relations: ORDER,
        operand: Operand::Value,
    },
    FilterField {
        name: "amount_spent",
        relations: &[">", "<", "="],
        operand: Operand::Value,
    },
    FilterField {
        name: "bought_sku",
        relations: &[">", "<", "="],
        operand: Operand::KeyValue,
    },
    FilterField {
        name: "location",
        relations: &[],
        operand: Operand::Location,
    },
];

/// The operators allowed between conditions.
pub const OPERATORS: &[&str] = &["OR", "AND"];

pub fn field(name: &str) -> Option<&'static FilterField> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Whether `relation` compares against nothing (`exists`, `not_exists`).
pub fn is_unary(relation: &str) -> bool {
    matches!(relation, "exists" | "not_exists")
}

/// The keys an entry of this field may carry.
pub fn keys_of(field: &FilterField) -> &'static [&'static str] {
    match field.operand {
        Operand::KeyValue => &["field", "key", "relation", "value"],
        Operand::Value => &["field", "relation", "value"],
        Operand::HoursAgo => &["field", "relation", "hours_ago"],
        Operand::Location => &["field", "radius", "lat", "long"],
    }
}

fn names(items: impl Iterator<Item = &'static str>) -> String {
    items
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `audience.filters`: a non-empty list of documented filter objects within OneSignal's limit,
/// or none.
pub fn check(value: Option<&Value>) -> Result<Option<Vec<Value>>, DraftError> {
    let items = match value {
        None => return Ok(None),
        Some(Value::Array(items)) if items.is_empty() => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(DraftError::new(
                "audience.filters",
                "must be a list of OneSignal filter objects",
            ));
        }
    };
    if items.len() > MAX_FILTERS {
        return Err(DraftError::new(
            "audience.filters",
            format!(
                "OneSignal allows at most {MAX_FILTERS} entries (operators included); this has {}",
                items.len()
            ),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        check_entry(i, item)?;
    }
    Ok(Some(items.clone()))
}

fn check_entry(i: usize, item: &Value) -> Result<(), DraftError> {
    let at = |key: &str| format!("audience.filters[{i}].{key}");
    let Some(object) = item.as_object() else {
        return Err(DraftError::new(
            format!("audience.filters[{i}]"),
            "each filter is an object with a \"field\" (or an {\"operator\": \"OR\"})",
        ));
    };
    if let Some(op) = object.get("operator") {
        return match op.as_str() {
            Some(op) if OPERATORS.contains(&op) && object.len() == 1 => Ok(()),
            Some(op) if OPERATORS.contains(&op) => Err(DraftError::new(
                format!("audience.filters[{i}]"),
                "an operator entry holds only \"operator\"",
            )),
            _ => Err(DraftError::new(
                at("operator"),
                format!("unknown operator {op}; expected \"OR\" or \"AND\""),
            )),
        };
    }
    let Some(name) = object.get("field").and_then(Value::as_str) else {
        return Err(DraftError::new(
            format!("audience.filters[{i}]"),
            "each filter needs a \"field\" (or is an {\"operator\": \"OR\"})",
        ));
    };
    let Some(spec) = field(name) else {
        return Err(DraftError::new(
            at("field"),
            format!(
                "unknown filter field \"{name}\"; expected one of {}",
                names(FIELDS.iter().map(|f| f.name))
            ),
        ));
    };
    let allowed = keys_of(spec);
    if let Some(extra) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(DraftError::new(
            at(extra),
            format!(
                "a \"{name}\" filter takes only {}",
                names(allowed.iter().copied())
            ),
        ));
    }
    let text = |key: &str| -> Result<Option<String>, DraftError> {
        match object.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(DraftError::new(at(key), "must be a string or a number")),
        }
    };
    let require = |key: &str| -> Result<(), DraftError> {
        match text(key)? {
            Some(v) if !v.trim().is_empty() => Ok(()),
            _ => Err(DraftError::new(
                at(key),
                format!("a \"{name}\" filter needs \"{key}\""),
            )),
        }
    };
    if spec.operand == Operand::Location {
        for key in ["radius", "lat", "long"] {
            require(key)?;
        }
        return Ok(());
    }
    let relation = match object.get("relation").and_then(Value::as_str) {
        Some(r) => r,
        None => {
            return Err(DraftError::new(
                at("relation"),
                format!("a \"{name}\" filter needs a \"relation\""),
            ));
        }
    };
    if !spec.relations.contains(&relation) {
        return Err(DraftError::new(
            at("relation"),
            format!(
                "\"{relation}\" is not a relation of \"{name}\"; expected one of {}",
                names(spec.relations.iter().copied())
            ),
        ));
    }
    match spec.operand {
        Operand::KeyValue => {
            require("key")?;
            if !is_unary(relation) {
                require("value")?;
            }
        }
        Operand::Value => require("value")?,
        Operand::HoursAgo => require("hours_ago")?,
        Operand::Location => {}
    }
    Ok(())
}
