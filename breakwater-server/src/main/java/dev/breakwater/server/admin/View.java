package dev.breakwater.server.admin;

/** A SHOW command's rows, read from the running Breakwater; one small class per view. */
public interface View {
  Result show(Observed o);
}
