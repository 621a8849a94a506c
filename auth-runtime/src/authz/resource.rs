//! What the access policy governs: a resource's type, identifier and owner.

use crate::principal::User;

/// Something the access policy governs: `type::identifier`, maybe an owner.
///
/// Implement it on the app's own types, then check them with
/// [`Access`](super::Access) in handlers. For a one-off check, [`Resource`]
/// describes a resource in place.
///
/// ```
/// use std::sync::Arc;
/// use auth_runtime::User;
/// use auth_runtime::authz::{Access, AccessPolicy, Action, ProtectedResource};
///
/// /// A vector store, `vector_store::<id>` to the access policy.
/// struct VectorStore {
///     id: String,
///     /// Who created it, with the attributes they had then.
///     created_by: Option<User>,
/// }
///
/// impl ProtectedResource for VectorStore {
///     fn resource_type(&self) -> &str {
///         "vector_store"
///     }
///     fn resource_id(&self) -> &str {
///         &self.id
///     }
///     fn owner(&self) -> Option<&User> {
///         self.created_by.as_ref()
///     }
/// }
///
/// let alice = User::new("alice", Default::default());
/// let store = VectorStore { id: "vs1".into(), created_by: Some(alice.clone()) };
///
/// // llama-stack's default policy: the owner may act on it, others may not.
/// let policy = Arc::new(AccessPolicy::default_policy());
/// let as_alice = Access::new(policy.clone(), Some(Arc::new(alice)));
/// let as_bob = Access::new(policy, Some(Arc::new(User::new("bob", Default::default()))));
/// assert!(as_alice.check(Action::Delete, &store).is_ok());
/// assert!(as_bob.check(Action::Read, &store).is_err());
/// ```
pub trait ProtectedResource {
    /// `model`, `vector_store`, ...
    fn resource_type(&self) -> &str;
    /// The resource's identifier within its type (a model's id, say).
    fn resource_id(&self) -> &str;
    /// The user who created it, with the attributes they had then.
    fn owner(&self) -> Option<&User>;
}

/// A resource described in place.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Resource<'a> {
    /// Its [`resource_type`](ProtectedResource::resource_type).
    pub kind: &'a str,
    /// Its [`resource_id`](ProtectedResource::resource_id).
    pub identifier: &'a str,
    /// Its [`owner`](ProtectedResource::owner), if any.
    pub owner: Option<&'a User>,
}

impl<'a> Resource<'a> {
    /// A resource of type `kind` named `identifier`, created by `owner`.
    pub const fn new(kind: &'a str, identifier: &'a str, owner: Option<&'a User>) -> Self {
        Resource {
            kind,
            identifier,
            owner,
        }
    }
}

impl ProtectedResource for Resource<'_> {
    fn resource_type(&self) -> &str {
        self.kind
    }
    fn resource_id(&self) -> &str {
        self.identifier
    }
    fn owner(&self) -> Option<&User> {
        self.owner
    }
}

impl<T: ProtectedResource + ?Sized> ProtectedResource for &T {
    fn resource_type(&self) -> &str {
        (**self).resource_type()
    }
    fn resource_id(&self) -> &str {
        (**self).resource_id()
    }
    fn owner(&self) -> Option<&User> {
        (**self).owner()
    }
}
