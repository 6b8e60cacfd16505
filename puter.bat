@echo off
rem BAT OS launcher for Windows: double-click this file.
rem
rem   1. finds Python 3.11 or newer (py -3.11, py -3, or python on PATH);
rem   2. creates .venv beside this file the first time;
rem   3. installs torch first, then everything else under constraints.txt
rem      (skipped when requirements.txt and constraints.txt did not change);
rem   4. starts the kernel under its watchdog in a minimised window
rem      titled "BAT OS kernel" (log: data\watchdog.log and data\batos.log);
rem   5. waits until the kernel answers, then opens the chat in this window.
rem
rem Environment:
rem   BATOS_TORCH_INDEX   pip index URL for torch (e.g. a CUDA wheel index)
rem   BATOS_ENDPOINT      the kernel's ZeroMQ endpoint (default tcp://127.0.0.1:5555);
rem                       the watchdog, the kernel and the chat client all read it
rem
rem The kernel keeps running after the chat ends. To stop it, restore the
rem "BAT OS kernel" window and press Ctrl+C there (the watchdog then stops the
rem kernel cleanly; closing the window also works, more abruptly).

setlocal EnableExtensions

rem --- Step 0: work in the folder of this file, wherever it was started from.
cd /d "%~dp0"
set "HERE=%~dp0"
set "VENV=%HERE%.venv"
set "VPY=%HERE%.venv\Scripts\python.exe"
set "WATCHDOG_LOG=%HERE%data\watchdog.log"
set "STAMP_REQ=%HERE%.venv\batos-installed-requirements.txt"
set "STAMP_CON=%HERE%.venv\batos-installed-constraints.txt"
set "PIP_DISABLE_PIP_VERSION_CHECK=1"
rem How many times to try the chat client's ping (about 3 s each) before giving up.
set "WAIT_TRIES=60"

if not exist "requirements.txt" goto :missing_files
if not exist "constraints.txt" goto :missing_files
if not exist "min_watchdog_service.py" goto :missing_files
if not exist "chat_client.py" goto :missing_files

rem --- Step 1: find Python 3.11 or newer.
set "PYCHECK=import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"
set "PY="
py -3.11 -c "%PYCHECK%" >nul 2>&1 && set "PY=py -3.11"
if not defined PY py -3 -c "%PYCHECK%" >nul 2>&1 && set "PY=py -3"
if not defined PY python -c "%PYCHECK%" >nul 2>&1 && set "PY=python"
if not defined PY goto :no_python
echo [BAT OS] Using Python: %PY%

rem --- Step 2: create the virtual environment the first time.
if exist "%VPY%" goto :venv_ready
echo [BAT OS] Creating the virtual environment in %VENV% ...
%PY% -m venv "%VENV%"
if errorlevel 1 goto :venv_failed
if not exist "%VPY%" goto :venv_failed
:venv_ready

rem --- Step 3: install the dependencies, unless the saved copies of
rem     requirements.txt and constraints.txt show nothing changed since the last install.
set "NEED_INSTALL=1"
if exist "%STAMP_REQ%" if exist "%STAMP_CON%" fc /b "requirements.txt" "%STAMP_REQ%" >nul 2>&1 && fc /b "constraints.txt" "%STAMP_CON%" >nul 2>&1 && set "NEED_INSTALL="
if not defined NEED_INSTALL goto :deps_ready

rem     3a: torch first, pinned as in constraints.txt (torch==2.13.0).
set "TORCH_PIN=torch==2.13.0"
for /f "usebackq delims=" %%L in (`findstr /b /c:"torch==" "constraints.txt"`) do set "TORCH_PIN=%%L"
echo [BAT OS] Installing %TORCH_PIN% (the first time this takes several minutes) ...
if defined BATOS_TORCH_INDEX goto :torch_from_index
"%VPY%" -m pip install --prefer-binary "%TORCH_PIN%"
goto :torch_done
:torch_from_index
echo [BAT OS] ... from %BATOS_TORCH_INDEX%
"%VPY%" -m pip install --index-url "%BATOS_TORCH_INDEX%" "%TORCH_PIN%"
:torch_done
if errorlevel 1 goto :torch_failed

rem     3b: everything else, with constraints.txt so nothing pulls in another torch.
echo [BAT OS] Installing the other dependencies ...
"%VPY%" -m pip install --prefer-binary -c constraints.txt -r requirements.txt
if errorlevel 1 goto :deps_failed

rem     3c: remember what was installed, so the next start skips step 3.
copy /y "requirements.txt" "%STAMP_REQ%" >nul
copy /y "constraints.txt" "%STAMP_CON%" >nul
:deps_ready

rem --- Step 4: is a kernel already running (a second double-click)? Then just chat.
"%VPY%" chat_client.py --ping --timeout 1 >nul 2>&1 && goto :already_running

rem --- Step 5: start the watchdog (which starts the kernel) in its own minimised window.
rem     Remember how long its log is now, to spot a "giving up" line written from here on.
if not exist "data" mkdir "data"
set "LOG_LINES=0"
if exist "%WATCHDOG_LOG%" for /f %%N in ('type "%WATCHDOG_LOG%" ^| find /c /v ""') do set "LOG_LINES=%%N"
echo [BAT OS] Starting the kernel in the minimised "BAT OS kernel" window ...
start "BAT OS kernel" /min "%VPY%" "%HERE%min_watchdog_service.py" run --log-file "%WATCHDOG_LOG%"

rem --- Step 6: wait until the kernel answers the chat client's ping.
set /a TRIES=0
:wait_loop
"%VPY%" chat_client.py --ping --timeout 2 >nul 2>&1 && goto :chat
set /a TRIES+=1
rem     The watchdog logs "giving up" when the kernel cannot start (bad image, crash loop):
rem     look for such a line below the part of the log that was there before step 5.
if not exist "%WATCHDOG_LOG%" goto :wait_more
for /f "delims=:" %%A in ('findstr /n /c:"giving up" "%WATCHDOG_LOG%"') do if %%A GTR %LOG_LINES% goto :kernel_failed
:wait_more
if %TRIES% GEQ %WAIT_TRIES% goto :kernel_timeout
rem     Sleep about one second (ping works even where "timeout" cannot read the keyboard).
ping -n 2 127.0.0.1 >nul
goto :wait_loop

:already_running
echo [BAT OS] A kernel is already running; opening the chat.

rem --- Step 7: the chat, in this window.
:chat
echo [BAT OS] The kernel is up. It keeps running in the "BAT OS kernel" window after the chat ends.
"%VPY%" chat_client.py
if errorlevel 1 goto :chat_failed
endlocal
exit /b 0

rem --- Failures: say what went wrong and wait for a key, so the window does not vanish.
:missing_files
echo [BAT OS] ERROR: requirements.txt, constraints.txt, min_watchdog_service.py or chat_client.py
echo          is missing next to puter.bat (%HERE%). Keep this file inside the BAT OS folder.
goto :fail

:no_python
echo [BAT OS] ERROR: Python 3.11 or newer was not found (tried "py -3.11", "py -3" and "python").
echo          Install it from https://www.python.org/downloads/ and tick "Add python.exe to PATH",
echo          then double-click puter.bat again.
goto :fail

:venv_failed
echo [BAT OS] ERROR: could not create the virtual environment in %VENV%.
echo          Delete the .venv folder and try again; check that %PY% works.
goto :fail

:torch_failed
echo [BAT OS] ERROR: installing %TORCH_PIN% failed (see pip's message above).
echo          Check the internet connection. For a CUDA build, set BATOS_TORCH_INDEX to the
echo          PyTorch wheel index for your CUDA version, e.g. https://download.pytorch.org/whl/cu128
goto :fail

:deps_failed
echo [BAT OS] ERROR: installing requirements.txt failed (see pip's message above).
goto :fail

:kernel_failed
echo [BAT OS] ERROR: the kernel could not be started. The end of %WATCHDOG_LOG%:
echo.
powershell -NoProfile -Command "Get-Content -Tail 15 -LiteralPath $env:WATCHDOG_LOG" 2>nul || type "%WATCHDOG_LOG%"
echo.
echo          "exit code 3": the image (data\live_image.fs) cannot be opened: it is damaged or
echo          another kernel holds it; restore it from a backup or move it aside.
echo          "exit code 2": a setting is wrong (batos.toml or BATOS_* variables).
echo          "exit code 4": the kernel kept crashing; see data\batos.log.
goto :fail

:kernel_timeout
echo [BAT OS] ERROR: the kernel did not answer within the waiting time.
echo          Look at the "BAT OS kernel" window and at %WATCHDOG_LOG% and data\batos.log.
goto :fail

:chat_failed
echo [BAT OS] The chat client ended with an error (see above).
goto :fail

:fail
echo.
pause
endlocal
exit /b 1
