//! `when` / `unless` conditions, parsed once into an enum. The forms and
//! their edge cases are llama-stack's (LLAMA-STACK-SEMANTICS.md).

use std::fmt;

use super::RuleError;
use crate::principal::User;

/// One condition on the user (and the resource's owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `user with <value> in <attribute>`
    UserWithValueIn {
        /// The value the user's attribute must hold.
        value: String,
        /// The attribute of the user to look in.
        attribute: String,
    },
    /// `user with <value> not in <attribute>`: true when the user lacks the attribute.
    UserWithValueNotIn {
        /// The value the user's attribute must not hold.
        value: String,
        /// The attribute of the user to look in.
        attribute: String,
    },
    /// `user is owner`: false for an unowned resource.
    UserIsOwner,
    /// `user is not owner`: true for an unowned resource.
    UserIsNotOwner,
    /// `user in owners <attribute>`: the user shares a value of it with the owner.
    UserInOwners {
        /// The attribute compared between the user and the owner.
        attribute: String,
    },
    /// `user not in owners <attribute>`
    UserNotInOwners {
        /// The attribute compared between the user and the owner.
        attribute: String,
    },
    /// `resource is unowned`
    ResourceIsUnowned,
}

/// The accepted forms, for error messages.
pub(super) const FORMS: &str = "`user with <value> in <attribute>`, `user with <value> not in <attribute>`, \
`user is owner`, `user is not owner`, `user in owners <attribute>`, `user not in owners <attribute>`, \
`resource is unowned`";

impl Condition {
    /// Parses one condition; words are split on any whitespace.
    pub fn parse(text: &str) -> Result<Condition, RuleError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        Ok(match words.as_slice() {
            ["user", "is", "owner"] => Condition::UserIsOwner,
            ["user", "is", "not", "owner"] => Condition::UserIsNotOwner,
            ["user", "with", value, "in", attribute] => Condition::UserWithValueIn {
                value: (*value).to_owned(),
                attribute: (*attribute).to_owned(),
            },
            ["user", "with", value, "not", "in", attribute] => Condition::UserWithValueNotIn {
                value: (*value).to_owned(),
                attribute: (*attribute).to_owned(),
            },
            ["user", "in", "owners", attribute] => Condition::UserInOwners {
                attribute: (*attribute).to_owned(),
            },
            ["user", "not", "in", "owners", attribute] => Condition::UserNotInOwners {
                attribute: (*attribute).to_owned(),
            },
            ["resource", "is", "unowned"] => Condition::ResourceIsUnowned,
            _ => {
                return Err(RuleError::Condition {
                    text: text.to_owned(),
                });
            }
        })
    }

    /// Whether it holds for `user` and a resource owned by `owner`.
    pub fn matches(&self, owner: Option<&User>, user: &User) -> bool {
        match self {
            Condition::UserWithValueIn { value, attribute } => has(user, attribute, value),
            Condition::UserWithValueNotIn { value, attribute } => !has(user, attribute, value),
            // ogx's tenant scope: every owner condition is false across
            // tenants (only an owner and a user that both have one differ).
            Condition::UserIsOwner => {
                owner.is_some_and(|o| o.principal == user.principal) && !user.tenant_mismatch(owner)
            }
            Condition::UserIsNotOwner => {
                owner.is_none_or(|o| o.principal != user.principal) && !user.tenant_mismatch(owner)
            }
            Condition::UserInOwners { attribute } => {
                shares(owner, user, attribute) && !user.tenant_mismatch(owner)
            }
            Condition::UserNotInOwners { attribute } => {
                !shares(owner, user, attribute) && !user.tenant_mismatch(owner)
            }
            Condition::ResourceIsUnowned => owner.is_none(),
        }
    }

    /// The attribute of the user the condition reads, if any (for the lint).
    pub fn attribute(&self) -> Option<&str> {
        match self {
            Condition::UserWithValueIn { attribute, .. }
            | Condition::UserWithValueNotIn { attribute, .. }
            | Condition::UserInOwners { attribute }
            | Condition::UserNotInOwners { attribute } => Some(attribute),
            _ => None,
        }
    }
}

fn has(user: &User, attribute: &str, value: &str) -> bool {
    user.attributes
        .get(attribute)
        .is_some_and(|values| values.iter().any(|v| v == value))
}

/// The owner has a non-empty list for `attribute` and the user holds one of its values.
fn shares(owner: Option<&User>, user: &User, attribute: &str) -> bool {
    let Some(owned) = owner.and_then(|o| o.attributes.get(attribute)) else {
        return false;
    };
    let Some(mine) = user.attributes.get(attribute) else {
        return false;
    };
    owned.iter().any(|v| mine.contains(v))
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::UserWithValueIn { value, attribute } => {
                write!(f, "user with {value} in {attribute}")
            }
            Condition::UserWithValueNotIn { value, attribute } => {
                write!(f, "user with {value} not in {attribute}")
            }
            Condition::UserIsOwner => f.write_str("user is owner"),
            Condition::UserIsNotOwner => f.write_str("user is not owner"),
            Condition::UserInOwners { attribute } => write!(f, "user in owners {attribute}"),
            Condition::UserNotInOwners { attribute } => write!(f, "user not in owners {attribute}"),
            Condition::ResourceIsUnowned => f.write_str("resource is unowned"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(principal: &str, attrs: &[(&str, &[&str])]) -> User {
        User::new(
            principal,
            attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
        )
    }

    #[test]
    fn parses_every_form_with_any_whitespace() {
        assert_eq!(
            Condition::parse("user  is\towner").unwrap(),
            Condition::UserIsOwner
        );
        assert_eq!(
            Condition::parse(" user is not owner ").unwrap(),
            Condition::UserIsNotOwner
        );
        assert!(matches!(
            Condition::parse("user with admin in roles").unwrap(),
            Condition::UserWithValueIn { .. }
        ));
        assert!(matches!(
            Condition::parse("user with admin not in roles").unwrap(),
            Condition::UserWithValueNotIn { .. }
        ));
        assert!(matches!(
            Condition::parse("user in owners teams").unwrap(),
            Condition::UserInOwners { .. }
        ));
        assert!(matches!(
            Condition::parse("user not in owners teams").unwrap(),
            Condition::UserNotInOwners { .. }
        ));
        assert_eq!(
            Condition::parse("resource is unowned").unwrap(),
            Condition::ResourceIsUnowned
        );
        for bad in [
            "",
            "user is admin",
            "user in owner teams",
            "User is owner",
            "user with a in",
            "user is owner now",
        ] {
            let err = Condition::parse(bad).unwrap_err().to_string();
            assert!(err.contains("accepted forms"), "{bad}: {err}");
        }
    }

    #[test]
    fn edge_cases_of_llama_stack() {
        let alice = user("alice", &[("roles", &["admin"]), ("teams", &["ml"])]);
        let bare = user("bob", &[]);
        let owner_ml = user("carol", &[("teams", &["ml", "nlp"])]);
        let owner_empty = user("dave", &[("teams", &[])]);
        let with = Condition::parse("user with admin not in roles").unwrap();
        assert!(
            with.matches(None, &bare),
            "lacking the attribute counts as not in"
        );
        assert!(!with.matches(None, &alice));
        let in_owners = Condition::parse("user in owners teams").unwrap();
        assert!(in_owners.matches(Some(&owner_ml), &alice));
        assert!(
            !in_owners.matches(Some(&owner_empty), &alice),
            "an owner without values: false"
        );
        assert!(!in_owners.matches(None, &alice));
        assert!(
            Condition::parse("user not in owners teams")
                .unwrap()
                .matches(Some(&owner_empty), &alice)
        );
        assert!(!Condition::UserIsOwner.matches(None, &alice));
        assert!(Condition::UserIsNotOwner.matches(None, &alice));
        assert!(Condition::UserIsOwner.matches(Some(&user("alice", &[])), &alice));
    }

    /// Every owner condition is false across tenants, also where a rule is
    /// asked without the policy's own check before it (an `unless`).
    #[test]
    fn owner_conditions_are_false_across_tenants() {
        let user = User::new(
            "alice",
            [("teams".to_owned(), vec!["ml".to_owned()])].into(),
        );
        let owner = |principal: &str, team: &str| {
            User::new(
                principal,
                [("teams".to_owned(), vec![team.to_owned()])].into(),
            )
        };
        let acme = user.clone().with_tenant("acme").unwrap();
        for (condition, same_tenant_owner) in [
            ("user is owner", owner("alice", "ml")),
            ("user is not owner", owner("bob", "ml")),
            ("user in owners teams", owner("bob", "ml")),
            ("user not in owners teams", owner("bob", "ops")),
        ] {
            let condition = Condition::parse(condition).unwrap();
            let elsewhere = same_tenant_owner.clone().with_tenant("globex").unwrap();
            let here = same_tenant_owner.with_tenant("acme").unwrap();
            assert!(condition.matches(Some(&here), &acme), "{condition}");
            assert!(!condition.matches(Some(&elsewhere), &acme), "{condition}");
            // A user without a tenant never mismatches.
            assert!(condition.matches(Some(&elsewhere), &user), "{condition}");
        }
    }
}
