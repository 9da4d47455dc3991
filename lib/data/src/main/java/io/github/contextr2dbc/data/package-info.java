/**
 * Django-style repositories and lazy query sets over Spring Data R2DBC mapping, running in the
 * current unit of work's session. Not built yet: this package is the placeholder for that work.
 */
package io.github.contextr2dbc.data;
