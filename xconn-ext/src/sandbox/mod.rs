//! An in-process fake of the Stream Connections API (work in progress).
