# Muon's process launcher (see launcher.ts): starts the short commands a Muon process runs
# (ip, nft, bridge, ...) on its behalf. A fork of a Node.js process costs its parent ~6 ms of
# CPU and blocks its event loop until the child has exec'd (copy-on-write of a 100+ MB
# multi-threaded address space); a fork of this small process costs a fraction of that and
# blocks nothing in Node. perl-base is Essential on Debian, so this is always there.
#
# Never a shell: each command arrives as an argv array and is exec'd as such.
#
# Protocol on stdin/stdout, every integer a 32-bit little-endian unsigned ("V"), every frame
# "V length" then that many bytes:
#   request  "R" V id, V argc, argc x (V len, bytes), V envc, envc x (V len, "K=V"),
#            V cwd-len, cwd, V input-len, input             run a command (envc 0: inherit)
#   request  "K" V id, V signal                             signal a running command
#   answer   "O"|"E" V id, bytes                            a piece of its stdout | stderr
#   answer   "X" V id, V code, V signal                     it ended (code 2^32-1 when killed)
#   answer   "F" V id, V errno, message                     it could not be started
# Stdin's end (the Muon process gone) ends the launcher; running commands are left alone.
use strict;
use warnings;
use POSIX qw(:sys_wait_h _exit dup2 setsid);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno qw(EAGAIN EINTR);

$SIG{PIPE} = 'IGNORE';
my $chld = 0;
$SIG{CHLD} = sub { $chld = 1 };
binmode STDIN;
binmode STDOUT;

my %jobs;    # id => { pid, out, err, in, input, status }
my %reader;  # fileno => [id, 'O'|'E', fh]
my $request = '';
my $answer = '';
my $stdin_open = 1;

sub frame { $answer .= pack('V', length $_[0]) . $_[0]; }

sub nonblocking { my $fh = shift; my $f = fcntl($fh, F_GETFL, 0); fcntl($fh, F_SETFL, $f | O_NONBLOCK); }

sub take_string {
  my ($buf, $pos) = @_;
  my $len = unpack('V', substr($$buf, $$pos, 4));
  my $s = substr($$buf, $$pos + 4, $len);
  $$pos += 4 + $len;
  return $s;
}

sub run_command {
  my ($body) = @_;
  my $pos = 1;
  my ($id, $argc) = unpack('V V', substr($body, $pos, 8));
  $pos += 8;
  my @argv = map { take_string(\$body, \$pos) } 1 .. $argc;
  my $envc = unpack('V', substr($body, $pos, 4));
  $pos += 4;
  my @env = map { take_string(\$body, \$pos) } 1 .. $envc;
  my $cwd = take_string(\$body, \$pos);
  my $input = take_string(\$body, \$pos);

  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $fail_r, $fail_w);
  pipe($in_r, $in_w) && pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($fail_r, $fail_w)
    or do { frame('F' . pack('V V', $id, $! + 0) . "pipe: $!"); return; };
  my $pid = fork();
  if (!defined $pid) { frame('F' . pack('V V', $id, $! + 0) . "fork: $!"); return; }
  if ($pid == 0) {
    # the child: its stdio are the pipes; every other descriptor closes on exec ($^F)
    $SIG{PIPE} = 'DEFAULT';
    $SIG{CHLD} = 'DEFAULT';
    dup2(fileno($in_r), 0);
    dup2(fileno($out_w), 1);
    dup2(fileno($err_w), 2);
    if (@env) { %ENV = map { my $i = index($_, '='); (substr($_, 0, $i), substr($_, $i + 1)) } @env; }
    if (length $cwd && !chdir($cwd)) { syswrite($fail_w, pack('V', $! + 0) . "chdir $cwd: $!"); _exit(127); }
    { no warnings 'exec'; exec { $argv[0] } @argv; }
    syswrite($fail_w, pack('V', $! + 0) . "$!");
    _exit(127);
  }
  close($_) for ($in_r, $out_w, $err_w, $fail_w);
  # the failure pipe closes on a successful exec: wait for that (a small process's exec is quick)
  my $failed = '';
  while (1) {
    my $n = sysread($fail_r, my $chunk, 4096);
    if (!defined $n) { next if $! == EINTR; last; }
    last if $n == 0;
    $failed .= $chunk;
  }
  close($fail_r);
  if (length $failed >= 4) {
    waitpid($pid, 0);
    close($_) for ($in_w, $out_r, $err_r);
    frame('F' . pack('V', $id) . $failed);
    return;
  }
  nonblocking($_) for ($in_w, $out_r, $err_r);
  my $job = { pid => $pid, out => $out_r, err => $err_r, in => $in_w, input => $input };
  $jobs{$id} = $job;
  $reader{fileno $out_r} = [$id, 'O', $out_r];
  $reader{fileno $err_r} = [$id, 'E', $err_r];
  feed($id, $job);
}

# write what the pipe takes of the job's input; its stdin closes once all of it is written
sub feed {
  my ($id, $job) = @_;
  return unless $job->{in};
  while (length $job->{input}) {
    my $n = syswrite($job->{in}, $job->{input});
    if (!defined $n) {
      return if $! == EAGAIN;
      next if $! == EINTR;
      last;    # EPIPE: the command does not read its stdin
    }
    substr($job->{input}, 0, $n) = '';
  }
  close($job->{in});
  $job->{in} = undef;
}

sub finish_if_done {
  my ($id) = @_;
  my $job = $jobs{$id};
  return if $job->{out} || $job->{err} || !defined $job->{status};
  if ($job->{in}) { close($job->{in}); }
  my $st = $job->{status};
  my ($code, $sig) = WIFSIGNALED($st) ? (0xFFFFFFFF, WTERMSIG($st)) : (WEXITSTATUS($st), 0);
  frame('X' . pack('V V V', $id, $code, $sig));
  delete $jobs{$id};
}

sub reap {
  $chld = 0;
  for my $id (keys %jobs) {
    my $job = $jobs{$id};
    next if defined $job->{status};
    my $r = waitpid($job->{pid}, WNOHANG);
    if ($r == $job->{pid}) { $job->{status} = $?; finish_if_done($id); }
  }
}

sub handle_request {
  my ($body) = @_;
  my $op = substr($body, 0, 1);
  if ($op eq 'R') { run_command($body); }
  elsif ($op eq 'K') {
    my ($id, $sig) = unpack('V V', substr($body, 1, 8));
    my $job = $jobs{$id};
    kill($sig, $job->{pid}) if $job && !defined $job->{status};
  }
}

while ($stdin_open || length $answer) {
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1 if $stdin_open;
  vec($rin, $_, 1) = 1 for keys %reader;
  vec($win, 1, 1) = 1 if length $answer;
  for my $job (values %jobs) { vec($win, fileno($job->{in}), 1) = 1 if $job->{in}; }
  # a command whose pipes are closed but that is not reaped yet: look again soon (a SIGCHLD
  # that came just before select would otherwise be noticed only at the next event)
  my $waiting = grep { !$_->{out} && !$_->{err} && !defined $_->{status} } values %jobs;
  my $n = select(my $rout = $rin, my $wout = $win, undef, $waiting ? 0.002 : ($chld ? 0 : undef));
  reap() if $chld || $waiting;
  next if $n <= 0;
  if (vec($rout, 0, 1)) {
    my $got = sysread(STDIN, $request, 65536, length $request);
    if (defined $got && $got == 0) { $stdin_open = 0; exit 0; }
    while (length($request) >= 4) {
      my $len = unpack('V', $request);
      last if length($request) < 4 + $len;
      my $body = substr($request, 4, $len);
      substr($request, 0, 4 + $len) = '';
      handle_request($body);
    }
  }
  for my $fd (keys %reader) {
    next unless vec($rout, $fd, 1);
    my ($id, $kind, $fh) = @{ $reader{$fd} };
    my $got = sysread($fh, my $chunk, 65536);
    next if !defined $got && ($! == EAGAIN || $! == EINTR);
    if ($got) { frame($kind . pack('V', $id) . $chunk); next; }
    close($fh);
    delete $reader{$fd};
    $jobs{$id}{$kind eq 'O' ? 'out' : 'err'} = undef;
    reap();
    finish_if_done($id) if $jobs{$id};
  }
  for my $id (keys %jobs) {
    my $job = $jobs{$id};
    feed($id, $job) if $job->{in} && vec($wout, fileno($job->{in}), 1);
  }
  if (length $answer && vec($wout, 1, 1)) {
    my $w = syswrite(STDOUT, $answer);
    substr($answer, 0, $w) = '' if defined $w;
  }
}
