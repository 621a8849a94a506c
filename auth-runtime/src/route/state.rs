//! App states by type, so each handler can be closed over the state it declares.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::extract::FromRef;

/// A map from a state type to the app's value of it.
///
/// ```
/// use auth_runtime::StateMap;
///
/// #[derive(Clone)]
/// struct Db(u32);
///
/// let mut states = StateMap::new();
/// states.insert(Db(7));
/// assert_eq!(states.get::<Db>().unwrap().0, 7);
/// assert!(states.get::<String>().is_err());
/// ```
#[derive(Clone, Default)]
pub struct StateMap {
    states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    names: Vec<&'static str>,
}

/// A handler needs a state type that the app did not register.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingState {
    /// The missing state type, as [`std::any::type_name`] writes it.
    pub type_name: &'static str,
}

impl fmt::Display for MissingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no app state of type `{}` was registered",
            self.type_name
        )
    }
}

impl std::error::Error for MissingState {}

impl StateMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `state`; a second value of the same type replaces the first.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, state: T) {
        if self
            .states
            .insert(TypeId::of::<T>(), Arc::new(state))
            .is_none()
        {
            self.names.push(type_name::<T>());
        }
    }

    /// Registers the substate `S` derived from the registered parent `P` (axum's
    /// [`FromRef`]), for handlers that take `State<S>`.
    pub fn derive<P, S>(&mut self) -> Result<(), MissingState>
    where
        P: Clone + Send + Sync + 'static,
        S: FromRef<P> + Clone + Send + Sync + 'static,
    {
        let parent = self.get::<P>()?;
        self.insert(S::from_ref(&parent));
        Ok(())
    }

    /// A clone of the registered value of `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Result<T, MissingState> {
        self.states
            .get(&TypeId::of::<T>())
            .and_then(|s| s.downcast_ref::<T>())
            .cloned()
            .ok_or(MissingState {
                type_name: type_name::<T>(),
            })
    }

    /// Names of the registered types, in registration order.
    pub fn type_names(&self) -> &[&'static str] {
        &self.names
    }
}

impl fmt::Debug for StateMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.names).finish()
    }
}
