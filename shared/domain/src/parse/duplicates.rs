//! Finding a key given twice in any object of a payload: serde_json keeps the
//! last of duplicate keys, and an upstream reader may keep the first.

use crate::metadata::printable_key;

/// The path of the first key given twice in any object of the payload, if any.
pub(super) fn duplicate_key(raw: &str) -> Option<String> {
    use serde::de::DeserializeSeed;
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    // The payload already parsed as JSON: the only error left is a duplicate.
    let _ = DuplicateWalk {
        found: &mut found,
        path: String::new(),
    }
    .deserialize(&mut deserializer);
    found
}

/// Walks a JSON document and stops at the first key an object repeats.
struct DuplicateWalk<'a> {
    found: &'a mut Option<String>,
    path: String,
}

impl<'de> serde::de::DeserializeSeed<'de> for DuplicateWalk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for DuplicateWalk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(DuplicateWalk {
                found: &mut *self.found,
                path: format!("{}[{index}]", self.path),
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                printable_key(&key)
            } else {
                format!("{}.{}", self.path, printable_key(&key))
            };
            if !seen.insert(key) {
                *self.found = Some(path);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(DuplicateWalk {
                found: &mut *self.found,
                path,
            })?;
        }
        Ok(())
    }
}
