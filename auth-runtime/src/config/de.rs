//! Serde helpers shared by the config's sections: numbers that may arrive as
//! strings (after `${env.X}` substitution), `key:` with nothing under it,
//! one-or-many strings, and the pairs of the default claim mappings.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::config::shown::Url;

/// `server:` with nothing under it is an empty section.
pub(super) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One string or a list of them: `audience: api` or `audience: [api, api-v2]`.
/// Never empty (an empty list is a config error).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OneOrMany(pub Vec<String>);

impl OneOrMany {
    /// Whether `value` is one of them.
    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    /// The only one, when there is exactly one.
    pub fn single(&self) -> Option<&str> {
        match self.0.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Each of them, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for OneOrMany {
    /// `a`, or `a or b`, for messages; a URL among them (an issuer) without
    /// its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, value) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{}", Url(value))?;
        }
        Ok(())
    }
}

impl fmt::Debug for OneOrMany {
    /// A URL among them (an issuer) without its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OneOrMany")
            .field(&self.0.iter().map(|v| Url(v)).collect::<Vec<_>>())
            .finish()
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            One(String),
            Many(Vec<String>),
        }
        let values = match Shape::deserialize(deserializer)
            .map_err(|_| de::Error::custom("expected a string or a list of strings"))?
        {
            Shape::One(one) => vec![one],
            Shape::Many(many) => many,
        };
        if values.is_empty() || values.iter().any(String::is_empty) {
            return Err(de::Error::custom(
                "must name at least one, none of them empty",
            ));
        }
        Ok(OneOrMany(values))
    }
}

pub(super) fn yes() -> bool {
    true
}

/// A number given as a number or, after `${env.X}` substitution, as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText<T> {
    Number(T),
    Text(String),
}

impl<T: FromStr> NumberOrText<T>
where
    T::Err: fmt::Display,
{
    fn into_number<E: de::Error>(self) -> Result<T, E> {
        match self {
            NumberOrText::Number(v) => Ok(v),
            NumberOrText::Text(s) => s
                .trim()
                .parse()
                .map_err(|e| E::custom(format!("invalid number {s:?}: {e}"))),
        }
    }
}

pub(super) fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: fmt::Display,
{
    NumberOrText::<T>::deserialize(deserializer)?.into_number()
}

pub(super) fn lenient_opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: fmt::Display,
{
    Option::<NumberOrText<T>>::deserialize(deserializer)?
        .map(NumberOrText::into_number)
        .transpose()
}

pub(super) fn pairs(p: &[(&str, &str)]) -> BTreeMap<String, String> {
    p.iter()
        .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
        .collect()
}
