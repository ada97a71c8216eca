package dev.breakwater.server.config;

/**
 * One key allowed in the connection string of a {@code [databases]}, {@code [users]} or {@code
 * [peers]} line, for documentation: see {@link ConfigLoader#databaseParameters()} and its
 * siblings.
 *
 * @param section "databases", "users" or "peers"
 * @param type how the value is read ("string", "integer", "seconds", ...)
 * @param defaultText what applies when the key is left out, in words
 * @param allowed what values are accepted, in words
 * @param actedOn whether Breakwater acts on it yet; if not it is parsed and validated only
 */
public record ParameterDefinition(
    String section,
    String name,
    String type,
    String defaultText,
    String allowed,
    String description,
    boolean actedOn) {}
