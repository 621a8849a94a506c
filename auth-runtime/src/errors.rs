//! Several errors reported together: [`Errors`], one or more, never none.
//! Every "all that is wrong at once" of the crate has this one shape: a
//! config's errors ([`ConfigErrors`](crate::config::ConfigErrors)), the
//! reasons a router could not be built (`Errors<BuildError>`),
//! a policy's bad rules.

use std::fmt;

/// One or more errors, reported together. Never empty: [`first`](Self::first)
/// always has one. Shown one per line, the second and later ones each after
/// `error: `, as a command line prints the first after its own `error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors<E> {
    first: E,
    rest: Vec<E>,
}

impl<E> Errors<E> {
    /// One error.
    pub fn new(first: E) -> Self {
        Errors {
            first,
            rest: Vec::new(),
        }
    }

    /// The errors, or `None` when there are none.
    pub fn from_vec(errors: Vec<E>) -> Option<Self> {
        let mut errors = errors.into_iter();
        let first = errors.next()?;
        Some(Errors {
            first,
            rest: errors.collect(),
        })
    }

    /// `Err` with the errors, `Ok` when there are none.
    pub fn check(errors: Vec<E>) -> Result<(), Self> {
        match Errors::from_vec(errors) {
            Some(errors) => Err(errors),
            None => Ok(()),
        }
    }

    /// The first error (in the order they were found).
    pub fn first(&self) -> &E {
        &self.first
    }

    /// The first error, the others dropped.
    pub fn into_first(self) -> E {
        self.first
    }

    /// How many there are (at least one).
    #[expect(
        clippy::len_without_is_empty,
        reason = "never empty: `is_empty` would always be false"
    )]
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Each error, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &E> {
        self.into_iter()
    }

    /// Adds an error after the others.
    pub fn push(&mut self, error: E) {
        self.rest.push(error);
    }

    /// Each error turned into another type, in order.
    pub fn map<F>(self, mut f: impl FnMut(E) -> F) -> Errors<F> {
        Errors {
            first: f(self.first),
            rest: self.rest.into_iter().map(f).collect(),
        }
    }

    /// The errors, in order.
    pub fn into_vec(self) -> Vec<E> {
        let mut out = Vec::with_capacity(1 + self.rest.len());
        out.push(self.first);
        out.extend(self.rest);
        out
    }
}

impl<E> From<E> for Errors<E> {
    fn from(error: E) -> Self {
        Errors::new(error)
    }
}

impl<E> Extend<E> for Errors<E> {
    fn extend<T: IntoIterator<Item = E>>(&mut self, errors: T) {
        self.rest.extend(errors);
    }
}

impl<E> IntoIterator for Errors<E> {
    type Item = E;
    type IntoIter = std::iter::Chain<std::iter::Once<E>, std::vec::IntoIter<E>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self.first).chain(self.rest)
    }
}

impl<'a, E> IntoIterator for &'a Errors<E> {
    type Item = &'a E;
    type IntoIter = std::iter::Chain<std::iter::Once<&'a E>, std::slice::Iter<'a, E>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(&self.first).chain(self.rest.iter())
    }
}

impl<E: fmt::Display> fmt::Display for Errors<E> {
    /// `first`, then `\nerror: next` for each other one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.first.fmt(f)?;
        for e in &self.rest {
            f.write_str("\nerror: ")?;
            e.fmt(f)?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Errors<E> {}

/// Why an app (`App`, or `testing::TestApp`) could not build its router or
/// its OpenAPI document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The config cannot be used: every error of it.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigErrors),
    /// The registry's routes cannot be served together.
    #[error(transparent)]
    Routes(#[from] crate::route::TableError),
    /// The router cannot be built: every reason.
    #[error(transparent)]
    Build(#[from] Errors<crate::BuildError>),
}

impl From<crate::config::ConfigError> for AppError {
    fn from(error: crate::config::ConfigError) -> Self {
        AppError::Config(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_empty_in_order_one_per_line() {
        assert_eq!(Errors::<&str>::from_vec(Vec::new()), None);
        assert_eq!(Errors::<&str>::check(Vec::new()), Ok(()));
        let mut errors = Errors::from_vec(vec!["a", "b"]).expect("two");
        errors.push("c");
        errors.extend(["d"]);
        assert_eq!(*errors.first(), "a");
        assert_eq!(errors.len(), 4);
        assert_eq!(
            errors.iter().copied().collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(errors.to_string(), "a\nerror: b\nerror: c\nerror: d");
        let lengths = errors.clone().map(str::len);
        assert_eq!(lengths.into_vec(), [1, 1, 1, 1]);
        assert_eq!(errors.into_iter().last(), Some("d"));
        assert_eq!(Errors::check(vec![1]), Err(Errors::new(1)));
        assert_eq!(Errors::from(7).to_string(), "7");
    }
}
