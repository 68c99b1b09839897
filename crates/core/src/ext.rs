//! Per-engine state owned by upper layers (persistence, replication): one
//! value per type, so a layer keeps its state beside the engine without the
//! core knowing its shape (and plain-`fn` hooks such as INFO providers can
//! reach it through `&Engine`).

use ahash::AHashMap;
use std::any::{Any, TypeId};

#[derive(Default)]
pub struct Extensions {
    map: AHashMap<TypeId, Box<dyn Any + Send>>,
}

impl Extensions {
    pub fn get<T: Any + Send>(&self) -> Option<&T> {
        self.map.get(&TypeId::of::<T>())?.downcast_ref()
    }

    pub fn get_mut<T: Any + Send>(&mut self) -> Option<&mut T> {
        self.map.get_mut(&TypeId::of::<T>())?.downcast_mut()
    }

    /// The value of type `T`, created with `Default` on first use.
    pub fn get_or_default<T: Any + Send + Default>(&mut self) -> &mut T {
        self.map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut()
            .expect("keyed by its own type")
    }

    pub fn insert<T: Any + Send>(&mut self, value: T) {
        self.map.insert(TypeId::of::<T>(), Box::new(value));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_value_per_type() {
        let mut e = super::Extensions::default();
        assert!(e.get::<u32>().is_none());
        *e.get_or_default::<u32>() += 2;
        e.insert(String::from("x"));
        assert_eq!(e.get::<u32>(), Some(&2));
        assert_eq!(e.get::<String>().map(String::as_str), Some("x"));
    }
}
