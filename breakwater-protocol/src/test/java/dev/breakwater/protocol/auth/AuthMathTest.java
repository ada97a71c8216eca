package dev.breakwater.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class AuthMathTest {

  @Test
  void md5MatchesPostgres() {
    // SELECT 'md5' || md5('postgres' || 'postgres')
    assertThat(Md5Password.encrypt("postgres", "postgres"))
        .isEqualTo("md53175bce1d3201d16594cebf9d7eb3f9d");
    assertThat(Md5Password.isMd5Secret("md53175bce1d3201d16594cebf9d7eb3f9d")).isTrue();
    assertThat(Md5Password.isMd5Secret("md5nothex")).isFalse();
    String salted =
        Md5Password.saltedResponse("md53175bce1d3201d16594cebf9d7eb3f9d", new byte[] {1, 2, 3, 4});
    assertThat(salted).startsWith("md5").hasSize(35).isNotEqualTo("md53175bce1d3201d16594cebf9d7eb3f9d");
  }

  @Test
  void scramKeysMatchRfc7677() {
    // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    ScramKeys keys = ScramKeys.derive("pencil", salt, 4096);
    String authMessage =
        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
            + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
            + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    byte[] am = authMessage.getBytes(StandardCharsets.UTF_8);
    byte[] proof = ScramKeys.xor(keys.clientKey(), ScramKeys.hmac(keys.storedKey(), am));
    assertThat(Base64.getEncoder().encodeToString(proof))
        .isEqualTo("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    assertThat(Base64.getEncoder().encodeToString(ScramKeys.hmac(keys.serverKey(), am)))
        .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  }

  @Test
  void verifierParsesAndFormats() {
    ScramSecret s = ScramSecret.fromPassword("secret", new byte[] {9, 8, 7, 6, 5, 4, 3, 2}, 4096);
    String text = s.format();
    assertThat(text).startsWith("SCRAM-SHA-256$4096:");
    assertThat(ScramSecret.parse(text)).isEqualTo(s);
    assertThat(ScramSecret.parse("SCRAM-SHA-256$x:y$z")).isNull();
    assertThat(Secret.parse(text)).isInstanceOf(Secret.Scram.class);
    assertThat(Secret.parse("md53175bce1d3201d16594cebf9d7eb3f9d")).isInstanceOf(Secret.Md5.class);
    assertThat(Secret.parse("hunter2")).isEqualTo(new Secret.Plain("hunter2"));
  }

  @Test
  void clientAndServerAgreeAndPassThroughWorks() {
    ScramSecret verifier = ScramSecret.fromPassword("pa55", new byte[] {1, 2, 3, 4, 5, 6}, 4096);
    ScramServer server = new ScramServer(verifier);
    ScramClient client =
        ScramClient.withPassword(p -> ScramKeys.derive("pa55", p.salt(), p.iterations()));
    byte[] first = server.onClientFirst(client.clientFirst());
    ScramServer.Outcome outcome = server.onClientFinal(client.onServerFirst(first));
    assertThat(outcome.authenticated()).isTrue();
    client.onServerFinal(outcome.serverFinal());

    // The client key recovered by the server logs in to another server holding the same verifier.
    ScramServer second = new ScramServer(verifier);
    ScramClient passThrough =
        ScramClient.withKeys(ScramKeys.of(outcome.clientKey(), verifier.serverKey()));
    ScramServer.Outcome again =
        second.onClientFinal(passThrough.onServerFirst(second.onClientFirst(passThrough.clientFirst())));
    assertThat(again.authenticated()).isTrue();
    passThrough.onServerFinal(again.serverFinal());
  }

  @Test
  void aWrongPasswordFailsAndAForgedServerIsCaught() {
    ScramSecret verifier = ScramSecret.fromPassword("right", new byte[] {1, 2, 3, 4}, 4096);
    ScramServer server = new ScramServer(verifier);
    ScramClient client =
        ScramClient.withPassword(p -> ScramKeys.derive("wrong", p.salt(), p.iterations()));
    byte[] first = server.onClientFirst(client.clientFirst());
    assertThat(server.onClientFinal(client.onServerFirst(first)).authenticated()).isFalse();

    ScramClient honest =
        ScramClient.withPassword(p -> ScramKeys.derive("right", p.salt(), p.iterations()));
    ScramServer impostor = new ScramServer(ScramServer.impossibleSecret("u", new byte[16]));
    honest.onServerFirst(impostor.onClientFirst(honest.clientFirst()));
    assertThatThrownBy(() -> honest.onServerFinal("v=AAAA".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ScramClient.ServerProofException.class);
  }

  @Test
  void channelBindingAndMalformedMessagesAreRefused() {
    ScramServer server = new ScramServer(ScramServer.impossibleSecret("u", new byte[16]));
    assertThatThrownBy(
            () -> server.onClientFirst("p=tls-server-end-point,,n=,r=abc".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> server.onClientFirst("garbage".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ProtocolException.class);
    ScramServer s2 = new ScramServer(ScramServer.impossibleSecret("u", new byte[16]));
    s2.onClientFirst("n,,n=,r=abc".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> s2.onClientFinal("c=biws,r=wrong,p=AAAA".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void impossibleSecretsAreStablePerUser() {
    byte[] key = new byte[] {1, 2, 3};
    assertThat(ScramServer.impossibleSecret("ghost", key).salt())
        .isEqualTo(ScramServer.impossibleSecret("ghost", key).salt())
        .isNotEqualTo(ScramServer.impossibleSecret("other", key).salt());
  }
}
