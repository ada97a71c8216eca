package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.ConfigException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HbaTest {

  private static final Path FILE = Path.of("hba.conf");

  private static Hba hba(String... lines) throws ConfigException {
    return Hba.parse(List.of(lines), FILE);
  }

  @Test
  void firstMatchingRuleWins() throws Exception {
    Hba h =
        hba(
            "# comment",
            "local   all      all                 trust",
            "hostssl shop     alice   10.0.0.0/8  scram-sha-256",
            "host    shop     alice   10.1.0.0/16 reject   # narrower, but later",
            "hostnossl all    bob     0.0.0.0/0   md5",
            "host    sameuser all     192.168.1.0 255.255.255.0 password",
            "host    all      all     ::1/128     trust");
    assertThat(h.decide("shop", "alice", null, false).authType()).isEqualTo(AuthType.TRUST);
    assertThat(h.decide("shop", "alice", Hba.address("10.1.2.3"), true).authType())
        .isEqualTo(AuthType.SCRAM_SHA_256);
    assertThat(h.decide("shop", "alice", Hba.address("10.1.2.3"), false).rejected()).isTrue();
    assertThat(h.decide("shop", "alice", Hba.address("10.1.2.3"), false).line()).isEqualTo(4);
    assertThat(h.decide("x", "bob", Hba.address("8.8.8.8"), false).authType()).isEqualTo(AuthType.MD5);
    assertThat(h.decide("x", "bob", Hba.address("8.8.8.8"), true).rejected()).isTrue();
    assertThat(h.decide("carol", "carol", Hba.address("192.168.1.77"), false).authType())
        .isEqualTo(AuthType.PLAIN);
    assertThat(h.decide("other", "carol", Hba.address("192.168.1.77"), false).rejected()).isTrue();
    assertThat(h.decide("db", "u", Hba.address("::1"), false).authType()).isEqualTo(AuthType.TRUST);
    assertThat(h.decide("db", "u", Hba.address("::2"), false).line()).as("no match").isZero();
  }

  @Test
  void physicalReplicationMatchesOnlyReplicationLines() throws Exception {
    Hba h =
        hba(
            "host replication repl 10.0.0.0/8 scram-sha-256",
            "host all         all  10.0.0.0/8 trust");
    java.net.InetAddress from = Hba.address("10.0.0.5");
    assertThat(h.decide("shop", "repl", from, false, true).authType()).isEqualTo(AuthType.SCRAM_SHA_256);
    assertThat(h.decide("shop", "other", from, false, true).rejected())
        .as("'all' does not cover physical replication, as in PostgreSQL")
        .isTrue();
    // Logical replication (and any other connection) matches by database name.
    assertThat(h.decide("shop", "other", from, false, false).authType()).isEqualTo(AuthType.TRUST);
    assertThat(h.decide("shop", "repl", from, false, false).authType()).isEqualTo(AuthType.TRUST);
  }

  @Test
  void mapOptionsAreKept() throws Exception {
    Hba h = hba("local all all peer map=mymap", "hostssl p0x all 0.0.0.0/0 cert map=test");
    assertThat(h.decide("db", "u", null, false).map()).isEqualTo("mymap");
    Hba.Decision cert = h.decide("p0x", "u", Hba.address("10.0.0.1"), true);
    assertThat(cert.authType()).isEqualTo(AuthType.CERT);
    assertThat(cert.map()).isEqualTo("test");
    assertThatThrownBy(() -> hba("host all all 0.0.0.0/0 peer")).hasMessageContaining("peer is only for local");
  }

  @Test
  void mistakesNameTheLine() {
    assertThatThrownBy(() -> hba("host all all 10.0.0.0/8 ident"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hba.conf:1")
        .hasMessageContaining("unsupported method");
    assertThatThrownBy(() -> hba("", "hostgssenc all all 0.0.0.0/0 trust"))
        .hasMessageContaining("hba.conf:2");
    assertThatThrownBy(() -> hba("host all all 10.0.0.0/33 trust")).hasMessageContaining("mask");
    assertThatThrownBy(() -> hba("host all all example.com trust")).hasMessageContaining("host names");
  }

  @Test
  void aNameListedTwiceIsTakenOnceAndAnEmptyNameIsAMistakeOnItsLine() throws Exception {
    // As PostgreSQL and PgBouncer (whose own test file lists u2 twice).
    Hba h = hba("# users", "host shop alice,bob,alice 10.0.0.0/8 md5");
    assertThat(h.decide("shop", "alice", Hba.address("10.1.2.3"), false).authType()).isEqualTo(AuthType.MD5);
    assertThat(hba("local shop,shop all trust").decide("shop", "x", null, false).authType())
        .isEqualTo(AuthType.TRUST);
    assertThatThrownBy(() -> hba("local shop,,other all trust"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hba.conf:1")
        .hasMessageContaining("empty name");
  }

  @Test
  void quotedNamesAndListsWithBlanksAsPgHbaConfHasThem() throws Exception {
    Hba h =
        hba(
            "host  tmp1,all  user1,user2 , user3  16.0.0.0/8  md5",
            "host  \"all\"  \"a , b\",\"q\"\"x\"  19.0.0.0/8  trust # comment",
            "host  \"sameuser\"  all  20.0.0.0/8  password");
    assertThat(h.decide("any", "user3", Hba.address("16.0.0.1"), false).authType()).isEqualTo(AuthType.MD5);
    assertThat(h.decide("any", "user4", Hba.address("16.0.0.1"), false).rejected()).isTrue();
    // A quoted all is a database called all, not every database.
    assertThat(h.decide("all", "a , b", Hba.address("19.0.0.1"), false).authType()).isEqualTo(AuthType.TRUST);
    assertThat(h.decide("all", "q\"x", Hba.address("19.0.0.1"), false).authType()).isEqualTo(AuthType.TRUST);
    assertThat(h.decide("other", "a , b", Hba.address("19.0.0.1"), false).rejected()).isTrue();
    assertThat(h.decide("sameuser", "bob", Hba.address("20.0.0.1"), false).authType()).isEqualTo(AuthType.PLAIN);
    assertThat(h.decide("bob", "bob", Hba.address("20.0.0.1"), false).rejected()).isTrue();
    assertThatThrownBy(() -> hba("host \"open all 0.0.0.0/0 trust")).hasMessageContaining("unterminated");
  }

  @Test
  void pgBouncersOtherMethodsLoadAndRefuseWhatTheyMatch() throws Exception {
    Hba h =
        hba(
            "local dbp all peer",
            "hostssl all all 10.0.0.0/8 ldap",
            "hostssl all all 192.168.0.0/16 cert",
            "local all all md5",
            "host all all 0.0.0.0/0 trust");
    assertThat(h.decide("dbp", "u", null, false).peer()).as("peer: the OS user name decides").isTrue();
    assertThat(h.decide("dbp", "u", null, false).rejected()).isFalse();
    assertThat(h.decide("other", "u", null, false).authType()).isEqualTo(AuthType.MD5);
    assertThat(h.decide("db", "u", Hba.address("10.0.0.1"), true).rejected()).isTrue();
    assertThat(h.decide("db", "u", Hba.address("192.168.0.1"), true).authType()).as("cert is supported").isEqualTo(AuthType.CERT);
    assertThat(h.decide("db", "u", Hba.address("10.0.0.1"), false).authType()).isEqualTo(AuthType.TRUST);
  }
}
