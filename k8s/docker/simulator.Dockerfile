# syntax=docker/dockerfile:1
# The standalone OpenSIPS simulator (src/Apps/Simulator, src/Simulator/README.md): OpenSIPS 4.0's MI and EVI datagram
# protocol on UDP, with simulated phones behind it. For development clusters without an OpenSIPS (k8s/overlays/dev);
# never part of the node image.
# Build from the repository root:  docker build -f k8s/docker/simulator.Dockerfile -t callcluster/simulator:TAG .
# (simulator.Dockerfile.dockerignore beside this file keeps bin/ and obj/ out of the context.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the package layer is cached across source changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Contracts/Contracts.csproj src/Contracts/
COPY src/AdminProtocol/AdminProtocol.csproj src/AdminProtocol/
COPY src/Hosting/Hosting.csproj src/Hosting/
COPY src/Simulator/Simulator.csproj src/Simulator/
COPY src/Apps/Simulator/Apps.Simulator.csproj src/Apps/Simulator/
RUN dotnet restore src/Apps/Simulator/Apps.Simulator.csproj
# Only the projects this image is built from (src/Hosting: the simulator's host feature, WithSimulator).
COPY hocon/ hocon/
COPY src/Contracts/ src/Contracts/
COPY src/AdminProtocol/ src/AdminProtocol/
COPY src/Hosting/ src/Hosting/
COPY src/Simulator/ src/Simulator/
COPY src/Apps/Simulator/ src/Apps/Simulator/
RUN dotnet publish src/Apps/Simulator/Apps.Simulator.csproj -c Release --no-restore -o /out/app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out/app /app
ENV DOTNET_gcServer=0
# The MI socket (mi_datagram); events go out from unbound sockets to the subscribers' addresses.
EXPOSE 8080/udp
# The aspnet image's unprivileged user.
USER $APP_UID
# Kubernetes adds --bind 0.0.0.0 (reachable through its Service) and --mi-port.
ENTRYPOINT ["dotnet", "/app/callcluster-simulator.dll"]
