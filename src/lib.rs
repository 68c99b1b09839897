//! Ember: embeddable API (filled in below).
