@echo off
rem fsdriver launcher for Windows.
rem Finds Java (JAVA_HOME first, then "where java"), checks its version and runs the CLI from lib\*
rem of a release archive, else from the Maven build output: fsdriver-cli\target\lib\*. The server ("serve", "service") needs Java 21
rem or newer; "mount"/"umount" need 25 (they say so themselves on an older Java).
rem FSDRIVER_JAVA_OPTS adds JVM options (for example -Xmx1g).
setlocal EnableExtensions
set "FSDRIVER_HOME=%~dp0.."
set "FSDRIVER_LIB=%~dp0..\fsdriver-cli\target\lib"
rem a release archive keeps the application in lib\
if exist "%~dp0..\lib\" set "FSDRIVER_LIB=%~dp0..\lib"
set "JAVA_EXE="

if defined JAVA_HOME (
  if exist "%JAVA_HOME%\bin\java.exe" (
    set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
  ) else (
    echo fsdriver: JAVA_HOME is set to "%JAVA_HOME%" but "%JAVA_HOME%\bin\java.exe" does not exist. 1>&2
    exit /b 1
  )
)
if not defined JAVA_EXE (
  for /f "delims=" %%J in ('where java 2^>nul') do if not defined JAVA_EXE set "JAVA_EXE=%%J"
)
if not defined JAVA_EXE (
  echo fsdriver: no Java found. Install Java 21 or newer ^(for example Eclipse Temurin 21^) and set JAVA_HOME to it, 1>&2
  echo          or put its bin directory on PATH. 1>&2
  exit /b 1
)

rem "java -version" prints e.g.: openjdk version "25.0.1" 2025-10-21  (on stderr).
set "JAVA_VER="
for /f "tokens=1-3" %%A in ('call "%JAVA_EXE%" -version 2^>^&1') do (
  if /i "%%B"=="version" if not defined JAVA_VER set "JAVA_VER=%%~C"
)
rem Once more if it printed nothing: under Wine the process that ran it can die at exit before its output is read.
if not defined JAVA_VER for /f "tokens=1-3" %%A in ('call "%JAVA_EXE%" -version 2^>^&1') do (
  if /i "%%B"=="version" if not defined JAVA_VER set "JAVA_VER=%%~C"
)
set "JAVA_MAJOR="
for /f "delims=.-+ " %%M in ("%JAVA_VER%") do set "JAVA_MAJOR=%%M"
set /a JAVA_MAJOR_NUM=JAVA_MAJOR+0 2>nul
if not defined JAVA_VER goto :badjava
if %JAVA_MAJOR_NUM% LSS 21 goto :badjava
rem --sun-misc-unsafe-memory-access exists from Java 23 on (older JVMs refuse unknown options).
set "FSDRIVER_UNSAFE_OPT="
if %JAVA_MAJOR_NUM% GEQ 23 set "FSDRIVER_UNSAFE_OPT=--sun-misc-unsafe-memory-access=allow"

if not exist "%FSDRIVER_LIB%\" (
  echo fsdriver: "%FSDRIVER_LIB%" not found. Build first: mvn -B -pl fsdriver-cli -am package -DskipTests 1>&2
  exit /b 1
)

rem Each JVM is sized for its role by the java @argument files in bin\jvm (shared with bin/fsdriver and
rem the service, which "service install" points at them; each option and why: docs\benchmarks.md "Footprint").
set "FSDRIVER_ROLE_OPTS="@%~dp0jvm\command.args""
if /i "%~1"=="serve" set "FSDRIVER_ROLE_OPTS="@%~dp0jvm\daemon.args" "@%~dp0jvm\serve.args""

"%JAVA_EXE%" --enable-native-access=ALL-UNNAMED %FSDRIVER_UNSAFE_OPT% %FSDRIVER_ROLE_OPTS% %FSDRIVER_JAVA_OPTS% -cp "%FSDRIVER_LIB%\*" dev.fsdriver.cli.Main %*
exit /b %ERRORLEVEL%

:badjava
echo fsdriver: "%JAVA_EXE%" is Java "%JAVA_VER%"; fsdriver needs Java 21 or newer. 1>&2
echo          Set JAVA_HOME to a Java 21 or newer (for example Eclipse Temurin 21). 1>&2
exit /b 1
