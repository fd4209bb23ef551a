import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The environment variable the Thrift Server's process gets its run's password in (no file, no command line). */
export const THRIFT_PASSWORD_ENV = 'TRIBUTARY_THRIFT_PASSWORD';
export const THRIFT_LOGIN_CLASS = 'TributaryThriftLogin';

/**
 * HiveServer2's password check for the sandbox's Spark Thrift Server (hive.server2.authentication=CUSTOM).
 * Hive offers no password from configuration alone (NONE takes any, LDAP needs a directory, PAM a native
 * library), so this is the smallest provider: the run's password, compared in constant time.
 */
const source = `import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

public class ${THRIFT_LOGIN_CLASS} implements PasswdAuthenticationProvider {
  public void Authenticate(String user, String password) throws AuthenticationException {
    String expected = System.getenv("${THRIFT_PASSWORD_ENV}");
    if (expected == null || expected.length() == 0 || password == null
        || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), password.getBytes(StandardCharsets.UTF_8))) {
      throw new AuthenticationException("Wrong user name or password");
    }
  }
}
`;

/**
 * Compiles the provider into `dir` (once per source) and returns the folder to put on the Thrift Server's
 * class path. The compiler is Janino, which Spark ships for its code generation (its CompilerDemo is javac's
 * drop-in), so a JRE is enough.
 */
export function compileThriftLogin(java: string, sparkJars: string, dir: string): string {
  const classes = join(dir, 'classes');
  const file = join(dir, `${THRIFT_LOGIN_CLASS}.java`);
  const compiled = join(classes, `${THRIFT_LOGIN_CLASS}.class`);
  if (existsSync(compiled) && existsSync(file) && readFileSync(file, 'utf8') === source) return classes;
  mkdirSync(classes, { recursive: true });
  writeFileSync(file, source);
  const jar = (prefix: string) => {
    const name = readdirSync(sparkJars).find((entry) => entry.startsWith(prefix) && entry.endsWith('.jar'));
    if (!name) throw new Error(`Spark's ${prefix}*.jar was not found in ${sparkJars}`);
    return join(sparkJars, name);
  };
  execFileSync(
    java,
    [
      '-cp',
      [jar('janino-'), jar('commons-compiler-')].join(':'),
      'org.codehaus.commons.compiler.samples.CompilerDemo',
      '-d',
      classes,
      '-classpath',
      jar('spark-hive-thriftserver_'),
      file,
    ],
    { stdio: 'pipe', timeout: 60_000 },
  );
  return classes;
}
