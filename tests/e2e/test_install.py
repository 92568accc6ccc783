"""make install: directories found from the target's asterisk.conf, DESTDIR
honoured. (Every sandbox instance also loads the modules it installed.)"""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def make_install(tmp_path, *extra):
    done = subprocess.run(["make", "-s", "-C", str(REPO), "install", f"DESTDIR={tmp_path}", *extra],
                          check=True, capture_output=True, text=True)
    return done.stdout


def test_install_reads_the_system_asterisk_conf(tmp_path):
    make_install(tmp_path)
    modules = next(Path("/usr/lib").glob("*/asterisk/modules"))  # Debian's astmoddir
    for module in ("res_stasis_broadcast.so", "app_stasis_broadcast.so"):
        assert (tmp_path / modules.relative_to("/") / module).is_file()
    assert (tmp_path / "usr/share/asterisk/documentation/thirdparty"
            / "res_stasis_broadcast-en_US.xml").is_file()


def test_install_follows_another_asterisk_conf(tmp_path):
    conf = tmp_path / "asterisk.conf"
    conf.write_text("[directories]\nastmoddir => /opt/pbx/modules\nastdatadir => /opt/pbx/data\n")
    said = make_install(tmp_path / "root", f"ASTERISK_CONF={conf}")
    assert (tmp_path / "root/opt/pbx/modules/res_stasis_broadcast.so").is_file()
    assert (tmp_path / "root/opt/pbx/data/documentation/thirdparty"
            / "res_stasis_broadcast-en_US.xml").is_file()
    assert "/opt/pbx/modules" in said


def test_install_directories_can_be_set(tmp_path):
    make_install(tmp_path, "MODULES_DIR=/m", "DOC_DIR=/d")
    assert (tmp_path / "m/app_stasis_broadcast.so").is_file()
    assert (tmp_path / "d/res_stasis_broadcast-en_US.xml").is_file()
