package dev.breakwater.server.admin;

import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.SettingDefinition;

/** SHOW CONFIG: every setting with its value, default and whether SET may change it. */
final class ShowConfig implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "key", ColumnType.TEXT,
            "value", ColumnType.TEXT,
            "default", ColumnType.TEXT,
            "changeable", ColumnType.TEXT);
    General g = o.settings().general();
    for (SettingDefinition d : ConfigLoader.definitions()) {
      r.row(d.name(), d.valueText(g), d.defaultText(), d.reloadable() ? "yes" : "no");
    }
    return r;
  }
}
