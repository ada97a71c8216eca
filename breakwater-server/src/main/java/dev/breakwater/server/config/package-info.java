/**
 * Configuration: reads {@code pgbouncer.ini} and the auth file into immutable records, validates
 * them, and resolves each pool's settings. Entry points: {@link
 * dev.breakwater.server.config.ConfigLoader} and {@link dev.breakwater.server.config.AuthFile}.
 */
package dev.breakwater.server.config;
