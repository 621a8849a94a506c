//! What the access policy governs: a resource's type, identifier and owner.

use crate::principal::User;

/// Something the access policy governs: `type::identifier`, maybe an owner.
pub trait ProtectedResource {
    /// `model`, `vector_store`, ...
    fn resource_type(&self) -> &str;
    fn resource_id(&self) -> &str;
    /// The user who created it, with the attributes they had then.
    fn owner(&self) -> Option<&User>;
}

/// A resource described in place.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    pub kind: &'a str,
    pub identifier: &'a str,
    pub owner: Option<&'a User>,
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
